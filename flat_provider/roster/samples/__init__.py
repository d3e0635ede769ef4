"""Bundled sample rosters (for ``make demo``, tests and trying things out) and the demo organization's seed."""

from __future__ import annotations

from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parent

ROSTER_CSV = "roster.csv"  # plain CSV, ~300 rows, a few deliberately invalid
ONEROSTER_V1P1 = "oneroster-1.1"  # directory with users.csv
ONEROSTER_V1P2 = "oneroster-1.2"  # directory with users.csv and roles.csv
ORG_SEED = "org-seed.json"  # the demo's existing organization, for the emulator


def sample_path(name: str = ROSTER_CSV) -> Path:
    path = SAMPLES_DIR / name
    if not path.exists():
        known = ", ".join(sorted(p.name for p in SAMPLES_DIR.iterdir() if not p.name.startswith(("_", "."))))
        raise FileNotFoundError(f"no bundled sample {name!r}; the samples are: {known}")
    return path
