"""Outputs of a ``run`` task: the file named by ``$ORCHDSL_OUTPUT`` (docs/language.md,
"Outputs"), in the format of GitHub Actions' ``GITHUB_OUTPUT``: lines ``name=value``, or
``name<<DELIMITER``, the value's lines, then ``DELIMITER``. A later line for a name replaces an
earlier one. Every executor reads the file with ``read_outputs`` where the task ran."""

from __future__ import annotations

import os
import re
import tempfile

OUTPUT_VARIABLE = "ORCHDSL_OUTPUT"
LIMIT = 1024 * 1024  # bytes of outputs an attempt may publish
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


class OutputError(Exception):
    """The outputs cannot be taken: the attempt fails with this message."""


class OutputFiles:
    """Where the attempts of one job write their outputs: a folder of its own, owner-only
    (outputs may hold secrets), one file name per attempt, created by the task when it writes
    (most tasks publish nothing: no file to make or remove for them, bench_run W1)."""

    def __init__(self):
        self._folder: str | None = None
        self._count = 0

    def next_path(self) -> str:
        if self._folder is None:
            self._folder = tempfile.mkdtemp(prefix="orchdsl-outputs-")
        self._count += 1
        return os.path.join(self._folder, str(self._count))

    def close(self) -> None:
        if self._folder is not None:
            try:
                os.rmdir(self._folder)  # empty: the tasks took or removed their files
            except OSError:
                import shutil

                shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


def read_outputs(path: str) -> dict[str, str]:
    """The outputs written to ``path`` (then removed); raises OutputError."""
    if not os.access(path, os.F_OK):
        return {}  # it published nothing (most tasks: one system call, bench_run W1)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return {}
    try:
        size = os.fstat(fd).st_size
        if size > LIMIT:
            raise OutputError(f"more than {LIMIT // 1024} KiB of outputs ({size} bytes) in "
                              f"${OUTPUT_VARIABLE}")
        with open(fd, "rb", closefd=False) as f:
            data = f.read(LIMIT + 1)
    except OSError as exc:  # the task made a folder of it, ...
        raise OutputError(f"cannot read ${OUTPUT_VARIABLE}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
        _remove(path)
    return parse_outputs(data.decode("utf-8", errors="replace"))


def parse_outputs(text: str) -> dict[str, str]:
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0
    while i < len(lines):
        line, number = lines[i].rstrip("\r"), i + 1
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, _, delimiter = line.partition("<<")
            _check_name(name, number)
            if not delimiter:
                raise OutputError(f"${OUTPUT_VARIABLE} line {number}: {name}<< needs a delimiter")
            value: list[str] = []
            while i < len(lines) and lines[i].rstrip("\r") != delimiter:
                value.append(lines[i].rstrip("\r"))
                i += 1
            if i == len(lines):
                raise OutputError(f"${OUTPUT_VARIABLE} line {number}: the value of {name} has "
                                  f"no closing {delimiter} line")
            i += 1
            outputs[name] = "\n".join(value)
        elif "=" in line:
            name, _, value_text = line.partition("=")
            _check_name(name, number)
            outputs[name] = value_text
        else:
            raise OutputError(f"${OUTPUT_VARIABLE} line {number}: expected name=value or "
                              f"name<<DELIMITER, found {line[:40]!r}")
    return outputs


def _check_name(name: str, number: int) -> None:
    if not NAME.match(name):
        raise OutputError(f"${OUTPUT_VARIABLE} line {number}: {name[:40]!r} is no output name "
                          "(a letter or _, then letters, digits, _ or -)")


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
