"""Private files written atomically: mode 0600 from creation, complete or absent, never half-written.

``tempfile.mkstemp`` creates the file with ``O_EXCL`` and mode 0600 in the target's directory, so no other
user can open it at any moment; ``os.replace`` then swaps it in as one rename (same file system). A reader
therefore sees the old file or the new one, and a crash leaves at most a hidden ``.*.tmp`` behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

PRIVATE_DIR_MODE = 0o700


def ensure_private_dir(directory: Path) -> None:
    """Create ``directory`` (and parents) as 0700 when missing; an existing directory is left as it is."""
    directory.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)


@contextlib.contextmanager
def private_text_file(path: Path, *, newline: str | None = None) -> Iterator[TextIO]:
    """Open a temporary 0600 sibling of ``path`` for writing; on success it replaces ``path`` atomically."""
    ensure_private_dir(path.parent)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def write_private_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically with mode 0600."""
    with private_text_file(path) as handle:
        handle.write(text)
