"""What the commands that take one .orch file share: compile it, or report why not."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

from orchdsl.compile import Compiled, CompileError, compile_file
from orchdsl.diagnostics import Diagnostic
from orchdsl.source import SourceError, read_source

EXIT_FAILED, EXIT_USAGE = 1, 2


def compile_or_report(path: str, command: str) -> Compiled | int:
    """The compiled file, or the exit code after printing its diagnostics on stderr: 1 for
    errors in the file, 2 when it cannot be read (LANGUAGE.md 7)."""
    try:
        return compile_file(path)
    except SourceError as exc:
        usage_error(command, str(exc))
        return EXIT_USAGE
    except CompileError as exc:
        print_diagnostics(exc.diagnostics, sys.stderr)
        return EXIT_FAILED


def print_diagnostics(diagnostics: list[Diagnostic], stream) -> None:
    from orchdsl.cli.args import use_color
    from orchdsl.reporters.text import TextReporter, source_lines

    reporter = TextReporter(color=use_color("auto", stream))
    texts: dict[str, list[str]] = {}
    for diagnostic in diagnostics:
        path = diagnostic.span.path
        if path not in texts:
            try:
                texts[path] = source_lines(read_source(path))
            except SourceError:
                texts[path] = []
        stream.write("".join(line + "\n" for line in reporter.diagnostic(diagnostic, texts[path])))


def usage_error(command: str, message: str) -> None:
    sys.stderr.write(f"orchdsl {command}: error: {message}\n")


def write_output(data: str | bytes, output: str | None) -> None:
    """Write to stdout, or to a file: a regular file atomically (a reader never sees half a
    file, a failed write leaves the old one), anything else (/dev/null, a FIFO) in place.
    Raises OSError when the file cannot be written."""
    if output is None or output == "-":
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data)
        return
    payload = data if isinstance(data, bytes) else data.encode("utf-8")
    if os.path.exists(output) and not os.path.isfile(output):
        # Replacing a device or a pipe by a regular file would break it for everyone.
        with open(output, "wb") as f:
            f.write(payload)
        return
    folder = os.path.dirname(os.path.abspath(output))
    handle, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(output)}.", dir=folder)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(payload)
        if os.path.exists(output):
            shutil.copymode(output, temporary)
        else:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, output)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
