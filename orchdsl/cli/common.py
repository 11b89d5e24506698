"""What the commands that take one .orch file share: compile it, or report why not."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from orchdsl.cli import exits
from orchdsl.lang.source import STDIN

if TYPE_CHECKING:
    from orchdsl.compiler import Compiled
    from orchdsl.lang.diagnostics import Diagnostic
    from orchdsl.planning.spec import Plan


def compile_or_report(path: str, command: str) -> Compiled | int:
    """The compiled file, or the exit code after printing its diagnostics on stderr: 1 for
    errors in the file, 2 when it cannot be read (docs/reference.md, "Conventions of every
    command")."""
    from orchdsl.compiler import CompileError, compile_file
    from orchdsl.lang.source import SourceError

    if path == STDIN:
        # Nested files and task folders are found from the file's folder: a path is needed.
        usage_error(command, "give the path of a .orch file ('-' is not supported here)")
        return exits.USAGE
    try:
        return compile_file(path)
    except SourceError as exc:
        usage_error(command, str(exc))
        return exits.USAGE
    except CompileError as exc:
        print_diagnostics(exc.diagnostics, exc.texts, sys.stderr)
        return exits.FAILED


def plan_or_report(path: str, command: str) -> Plan | int:
    """The plan of the file with every task selected and every param at its default
    (planning.build.plan_file), or an exit code as ``compile_or_report``. An unchanged file
    is not compiled again: its plan comes from the plan cache (docs/reference.md, "The plan
    cache"), and neither the parser nor the graph is loaded."""
    from orchdsl.planning import cache

    if path != STDIN:
        plan = cache.load(path)
        if plan is not None:
            return plan
    compiled = compile_or_report(path, command)
    if isinstance(compiled, int):
        return compiled
    from orchdsl.planning.build import plan_file

    plan = plan_file(compiled)
    cache.save(path, plan)
    return plan


def print_diagnostics(diagnostics: list[Diagnostic], texts: dict[str, str], stream) -> None:
    """Diagnostics as ``orchdsl lint`` prints them, with the source line and caret."""
    from orchdsl.cli.args import use_color
    from orchdsl.cli.reporters.text import TextReporter, source_lines

    reporter = TextReporter(color=use_color("auto", stream))
    for diagnostic in diagnostics:
        lines = source_lines(texts.get(diagnostic.span.path, ""))
        stream.write("".join(line + "\n" for line in reporter.diagnostic(diagnostic, lines)))


def usage_error(command: str, message: str) -> None:
    sys.stderr.write(f"orchdsl {command}: error: {message}\n")
