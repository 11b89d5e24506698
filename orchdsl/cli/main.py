"""``orchdsl COMMAND ...``: dispatch to the command's module, imported only when it runs, so
``orchdsl --help`` starts without loading lark, networkx or trio."""

from __future__ import annotations

import importlib
import os
import sys

from orchdsl._version import __version__
from orchdsl.cli import exits

# name -> (module, one line for --help)
COMMANDS: dict[str, tuple[str, str]] = {
    "lint": ("orchdsl.cli.lint_cmd", "check .orch files for errors and risky patterns (CI-ready)"),
    "fmt": ("orchdsl.cli.fmt_cmd", "rewrite files in the canonical layout; --group-by-kind, --check"),
    "graph": ("orchdsl.cli.graph_cmd", "draw an orchestration: ascii, dot, mermaid, json, svg, png"),
    "run": ("orchdsl.cli.run_cmd", "run an orchestration now; --dry-run prints the plan only"),
    "next": ("orchdsl.cli.next_cmd", "the next fire times of a file's schedules, local and UTC"),
    "backfill": ("orchdsl.cli.backfill_cmd", "run the fires of a file's schedules between two times"),
    "scheduler": ("orchdsl.cli.scheduler_cmd", "run the schedules of files and folders until stopped"),
    "jobs": ("orchdsl.cli.jobs_cmd", "list the recorded jobs, newest first"),
    "job": ("orchdsl.cli.job_cmd", "show one job: tasks, attempts, durations, a timeline"),
    "logs": ("orchdsl.cli.logs_cmd", "print what a job's tasks printed (--follow while it runs)"),
    "cancel": ("orchdsl.cli.cancel_cmd", "stop a running job, from any shell"),
    "serve": ("orchdsl.cli.serve_cmd", "a web dashboard of jobs, timelines, graphs, logs (orchdsl[ui])"),
    "prune": ("orchdsl.cli.prune_cmd", "remove old jobs from the store (--older-than, --keep-last)"),
    "completion": ("orchdsl.cli.completion_cmd", "print a bash, zsh or fish completion script"),
    "import": ("orchdsl.cli.import_cmd", "convert Keboola orchestrations and flows to a .orch file"),
    "lsp": ("orchdsl.cli.lsp_cmd", "the language server for editors (needs orchdsl[lsp])"),
}

ONE_SHOT = frozenset({"lint", "graph", "next", "fmt"})


def top_help() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [
        "usage: orchdsl [--version] [--help] COMMAND [ARGS...]",
        "",
        "orchdsl: phases of tasks, schedules and notifications in one plain .orch file.",
        "",
        "commands:",
        *(f"  {name.ljust(width)}  {summary}" for name, (_, summary) in COMMANDS.items()),
        "",
        "options:",
        "  -h, --help     show this help and exit",
        "  --version      show the version and exit",
        "",
        "Run 'orchdsl COMMAND --help' for a command's options and examples.",
        "Exit codes: 0 ok, 1 errors found or the job failed, 2 usage error or unreadable input,",
        "130 interrupted (Ctrl-C), 143 terminated; 3 means a bug in orchdsl (please report it).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        sys.stderr.write("usage: orchdsl [--version] [--help] COMMAND [ARGS...]\n"
                         f"commands: {', '.join(COMMANDS)}; see orchdsl --help\n")
        return exits.USAGE
    first = argv[0]
    if first in ("-h", "--help", "help"):
        sys.stdout.write(top_help())
        return exits.OK
    if first in ("-V", "--version"):
        print(f"orchdsl {__version__}")
        return exits.OK
    if first not in COMMANDS:
        from orchdsl.lang.diagnostics import did_you_mean

        what = "option" if first.startswith("-") else "command"
        hint = did_you_mean(first, COMMANDS)
        sys.stderr.write(f'orchdsl: error: unknown {what} "{first}"'
                         f"{' (' + hint + ')' if hint else ''}; see orchdsl --help\n")
        return exits.USAGE
    if first in ONE_SHOT:
        from orchdsl._gc import one_shot

        one_shot()
    module = importlib.import_module(COMMANDS[first][0])
    return module.main(argv[1:])


def entry() -> None:
    """The console script: ``main`` plus what no command should have to handle."""
    try:
        code = main()
        sys.stdout.flush()
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        # The reader went away (orchdsl lint | head): no traceback, but no success either,
        # since the output was not all delivered. Python's docs recommend this dance so that
        # the interpreter's own flush at exit does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = exits.FAILED
    except Exception as exc:  # a bug in orchdsl: one line, and the traceback on request
        from orchdsl.store.base import StoreError

        if isinstance(exc, StoreError):  # the store failed under a command (a lost server)
            sys.stderr.write(f"orchdsl: error: {exc}\n")
            sys.exit(exits.USAGE)
        if os.environ.get("ORCHDSL_DEBUG"):
            raise
        sys.stderr.write(f"orchdsl: internal error: {type(exc).__name__}: {exc} (this is a bug; "
                         "set ORCHDSL_DEBUG=1 for the traceback and please report it)\n")
        code = exits.INTERNAL
    sys.exit(code)
