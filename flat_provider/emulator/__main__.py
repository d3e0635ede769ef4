"""`python -m flat_provider.emulator`: same as the `flat-emulator` command."""

from __future__ import annotations

import sys

from flat_provider.emulator.cli import main

sys.exit(main())
