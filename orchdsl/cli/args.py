"""An argparse parser whose usage errors are one line and exit 2 (docs/reference.md, "Conventions
of every command")."""

from __future__ import annotations

import argparse
import sys


class ArgumentParser(argparse.ArgumentParser):
    def __init__(self, **kwargs):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        kwargs.setdefault("allow_abbrev", False)  # --dry must not quietly mean --dry-run
        super().__init__(**kwargs)

    def error(self, message: str):
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        sys.exit(2)


def use_color(choice: str, stream) -> bool:
    """``--color auto`` colours a terminal unless NO_COLOR is set (https://no-color.org)."""
    import os

    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty() and os.environ.get("TERM") != "dumb"


# SQLite's INTEGER is 64-bit: a larger id is no job, and must not reach the store as an error.
LARGEST_ID = 2 ** 63 - 1


def positive(text: str) -> int:
    """An argparse ``type``: a whole number from 1 (job ids, counts, limits)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    if value > LARGEST_ID:
        raise argparse.ArgumentTypeError(f"must be at most {LARGEST_ID}")
    return value


SIZE_UNITS = {"": 1, "B": 1, "KIB": 1024, "MIB": 1024 ** 2, "GIB": 1024 ** 3,
              "KB": 1000, "MB": 1000 ** 2, "GB": 1000 ** 3}


def size(text: str) -> int:
    """An argparse ``type``: a size such as ``100MiB``, ``512KiB``, ``2GB`` (bytes)."""
    import re

    found = re.fullmatch(r"\s*([0-9]{1,12})\s*([A-Za-z]*)\s*", text)
    unit = found.group(2).upper() if found else None
    if found is None or unit not in SIZE_UNITS:
        raise argparse.ArgumentTypeError(f"expected a size such as 100MiB or 512KiB, got "
                                         f"{text!r}")
    return int(found.group(1)) * SIZE_UNITS[unit]
