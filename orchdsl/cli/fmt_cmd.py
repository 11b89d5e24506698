"""``orchdsl fmt PATH...``: rewrite files in the canonical layout (LANGUAGE.md 7); exit 0, 1 when
``--check`` finds changes or a regrouping is refused, 2 on usage errors, unreadable files or
files that do not parse."""

from __future__ import annotations

import codecs
import sys
from dataclasses import dataclass

from orchdsl.cli import exits
from orchdsl.cli.args import ArgumentParser

DESCRIPTION = """\
Print .orch files in one canonical layout: 4-space indentation, one task per line with the
kinds aligned, long option lists continued on indented lines, a blank line between phases,
every comment kept where it was. Files are rewritten in place; folders are searched for
*.orch files; '-' reads standard input and writes standard output. A file that does not
parse is left alone.

--group-by-kind moves every task into an Extract, Transform, Write or Apps phase by its kind
(Keboola's "group tasks into phases by component type"); --move TASK --to PHASE moves one
task. Either refuses, naming the tasks and changing nothing, when a task has no kind or a
needs would no longer point at an earlier phase.

examples:
  orchdsl fmt pipelines/                          rewrite every *.orch below pipelines/
  orchdsl fmt --check .                           in CI: exit 1 when a file would change
  orchdsl fmt --diff pipeline.orch                show what would change, write nothing
  orchdsl fmt --group-by-kind pipeline.orch       regroup into ETL phases
  orchdsl fmt --move crm --to Extract pipeline.orch
  orchdsl fmt - < pipeline.orch                   for editors: stdin to stdout
"""


@dataclass(frozen=True, slots=True)
class Source:
    """A file's bytes as read, and its text (a byte-order mark is given back on writing)."""

    path: str  # as shown in messages
    data: bytes
    text: str
    stdin: bool = False

    @property
    def bom(self) -> bytes:
        return codecs.BOM_UTF8 if self.data.startswith(codecs.BOM_UTF8) else b""


@dataclass
class Tally:
    """How many files changed, for the closing line on stderr."""

    dry: bool  # --check or --diff: nothing is written
    changed: int = 0
    unchanged: int = 0
    failed: int = 0

    def count(self, changed: bool) -> None:
        if changed:
            self.changed += 1
        else:
            self.unchanged += 1

    def summary(self) -> str:
        would = "would be " if self.dry else ""
        parts = [f"{_files(self.changed)} {would}reformatted",
                 f"{_files(self.unchanged)} {would}left unchanged"]
        if self.failed:
            parts.append(f"{_files(self.failed)} not formatted")
        return ", ".join(parts)


def _files(count: int) -> str:
    return f"{count} file{'s' if count != 1 else ''}"


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="orchdsl fmt", description=DESCRIPTION)
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or folders to format ('-' for stdin to stdout)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when a file would change")
    parser.add_argument("--diff", action="store_true",
                        help="write nothing; print a unified diff of the changes")
    parser.add_argument("--group-by-kind", action="store_true",
                        help="move tasks into Extract, Transform, Write, Apps phases by kind")
    parser.add_argument("--move", metavar="TASK", help="move this task (with --to)")
    parser.add_argument("--to", metavar="PHASE",
                        help="the phase --move puts the task in (added after the last one "
                             "when missing)")
    parser.add_argument("--stdin-filename", metavar="PATH",
                        help="the name to show for '-' in diagnostics and diffs")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no per-file messages or summary on stderr (errors still)")
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    problem = _usage_problem(args)
    if problem:
        parser.error(problem)
    from orchdsl.check.linter import discover
    from orchdsl.lang.source import STDIN

    files, missing = discover(args.paths)
    for error in missing:
        _error(str(error))
    if missing:
        return exits.USAGE
    if args.move is not None and len(files) != 1:
        parser.error("--move works on one file; give exactly one file")
    rewrite = _rewrite(args)
    tally = Tally(args.check or args.diff)
    code = exits.OK
    for path in files:
        code = max(code, _format_one(path, args, rewrite, tally))
    # Standard input alone is an editor's call: its output is the answer, no summary after it.
    if not args.quiet and files != [STDIN] and tally.changed + tally.unchanged:
        sys.stderr.write(tally.summary() + "\n")
    return code


def _usage_problem(args) -> str | None:
    if not args.paths:
        return "give the files or folders to format ('.' for the current folder, '-' for stdin)"
    if (args.move is None) != (args.to is None):
        return "--move TASK and --to PHASE go together"
    if args.move is not None and args.group_by_kind:
        return "--group-by-kind and --move cannot be used together"
    if args.to is not None and not args.to.strip():
        return "--to needs a phase name"
    if args.to is not None and any(ord(c) < 32 and c not in "\n\t" or c == "\x7f"
                                   for c in args.to):
        # A string of the language cannot hold them (no escape exists for them).
        return "--to: a phase name cannot hold control characters"
    return None


def _rewrite(args):
    from functools import partial

    from orchdsl.formatting.regroup import group_by_kind, move_task

    if args.group_by_kind:
        return group_by_kind
    if args.move is not None:
        return partial(move_task, name=args.move, phase_name=args.to)
    return None


def _format_one(path: str, args, rewrite, tally: Tally) -> int:
    from orchdsl.cli.common import print_diagnostics
    from orchdsl.formatting.formatter import Outcome, format_text
    from orchdsl.formatting.regroup import UnknownTask

    source = _read(path, args.stdin_filename)
    if isinstance(source, int):
        tally.failed += 1
        return source
    try:
        result = format_text(source.text, source.path, rewrite)
    except UnknownTask as exc:
        _error(f"{source.path}: {exc}")
        tally.failed += 1
        return exits.USAGE
    if result.outcome in (Outcome.SYNTAX_ERROR, Outcome.REFUSED):
        print_diagnostics(list(result.diagnostics), {source.path: source.text}, sys.stderr)
        if result.outcome is Outcome.SYNTAX_ERROR:
            what = "does not parse"
        else:
            what = "not regrouped" if args.group_by_kind else f'"{args.move}" not moved'
        _error(f"{source.path}: {what}; left unchanged")
        tally.failed += 1
        return exits.USAGE if result.outcome is Outcome.SYNTAX_ERROR else exits.FAILED
    if result.outcome is Outcome.UNSAFE:
        _error(f"{source.path}: the new layout would change what the file means; left unchanged "
               "(this is a bug in orchdsl, please report it)")
        tally.failed += 1
        return exits.INTERNAL
    return _deliver(source, source.bom + result.text.encode("utf-8"), args, tally)


def _deliver(source: Source, formatted: bytes, args, tally: Tally) -> int:
    """Write, print or compare the formatted bytes; the exit code for this file."""
    changed = formatted != source.data
    tally.count(changed)
    if args.diff and changed:
        sys.stdout.write(unified_diff(source, formatted))
    if args.check or args.diff:
        if changed and not args.quiet:
            sys.stderr.write(f"would reformat {source.path}\n")
        return exits.FAILED if changed and args.check else exits.OK
    if source.stdin:
        sys.stdout.flush()
        sys.stdout.buffer.write(formatted)
        sys.stdout.buffer.flush()
        return exits.OK
    if not changed:
        return exits.OK
    from orchdsl.cli.output_file import OutputError, write_output

    try:
        write_output(formatted, source.path)
    except OutputError as exc:
        _error(str(exc))
        tally.failed += 1
        return exits.USAGE
    if not args.quiet:
        sys.stderr.write(f"reformatted {source.path}\n")
    return exits.OK


def _read(path: str, stdin_name: str | None) -> Source | int:
    from orchdsl.lang.source import STDIN, SourceError, decode_utf8, read_source

    try:
        if path == STDIN:
            data = sys.stdin.buffer.read()
            shown = stdin_name or STDIN
            return Source(shown, data, decode_utf8(data, shown), stdin=True)
        with open(path, "rb") as handle:
            data = handle.read()
        return Source(path, data, decode_utf8(data, path))
    except SourceError as exc:
        _error(str(exc))
    except OSError:
        try:  # worded as every command words it: no such file, permission denied, ...
            read_source(path)
        except SourceError as exc:
            _error(str(exc))
    return exits.USAGE


def unified_diff(source: Source, formatted: bytes) -> str:
    """A unified diff, marking a last line without a line break as diff(1) does."""
    import difflib

    before = _lines(source.data.decode("utf-8"))
    after = _lines(formatted.decode("utf-8"))
    lines = difflib.unified_diff(before, after, f"{source.path}", f"{source.path}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)


def _lines(text: str) -> list[str]:
    """Lines with their ends, split at \\n only (as the parser counts them)."""
    return [line + "\n" for line in text.split("\n")[:-1]] + ([text.rsplit("\n", 1)[-1]]
                                                               if not text.endswith("\n") else [])


def _error(message: str) -> None:
    sys.stderr.write(f"orchdsl fmt: error: {message}\n")
