"""Writing a command's output to ``-o FILE``: atomically for a regular file, in place for
anything else, never over the input."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile


class OutputError(Exception):
    """The output cannot go there (a usage error, exit 2)."""


def write_output(data: str | bytes, output: str | None, *, source: str | None = None) -> None:
    """Write to stdout (None or ``-``) or to a file. A regular file is replaced atomically (a
    reader never sees half of it, a failed write leaves the old one) through its real path, so
    a symlink keeps pointing at it; anything else (/dev/null, a FIFO) is written in place."""
    payload = data if isinstance(data, bytes) else data.encode("utf-8")
    if output is None or output == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(payload)
        sys.stdout.buffer.flush()
        return
    target = os.path.realpath(output)
    if source is not None and os.path.exists(target) and os.path.samefile(target, source):
        raise OutputError(f"{output} is the input file: refusing to overwrite it")
    if os.path.exists(target) and not os.path.isfile(target):
        try:
            with open(target, "wb") as f:
                f.write(payload)
        except OSError as exc:
            raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None
        return
    try:
        _replace(target, payload)
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None


def _replace(target: str, payload: bytes) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.",
                                         dir=os.path.dirname(target))
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(payload)
        if os.path.exists(target):
            shutil.copymode(target, temporary)
        else:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
