"""``orchdsl lint PATH...``: diagnostics on stdout; exit 0 clean or warnings, 1 errors,
2 usage error or unreadable input."""

from __future__ import annotations

import sys

from orchdsl.cli import exits
from orchdsl.cli.args import ArgumentParser, use_color

FORMATS = ("text", "json", "sarif", "github")

DESCRIPTION = """\
Check .orch files: syntax, names, schedules, notifications, nested orchestrations, and
patterns that work but bite later (a schedule without an error notification, phases out
of ETL order, ...). Folders are searched for *.orch files; '-' reads standard input.

Silence a finding on one line with a trailing comment:  # orchdsl: ignore[W205]

examples:
  orchdsl lint pipelines/                 every *.orch below pipelines/
  orchdsl lint --strict --format github .  in a GitHub Actions step
  orchdsl lint --format sarif . > orchdsl.sarif
  orchdsl lint --explain W202              what a rule checks, with examples
"""


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="orchdsl lint", description=DESCRIPTION)
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or folders to check ('-' for stdin; default: .)")
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="output format (default: text)")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 on warnings too")
    parser.add_argument("--explain", metavar="CODE", help="print what rule CODE checks and exit")
    parser.add_argument("--list-rules", action="store_true", help="list every rule and exit")
    parser.add_argument("--stdin-filename", metavar="PATH",
                        help="the name to report for '-' (and to find nested files from)")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour the text format (default: auto, on a terminal)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no summary line on stderr")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.explain is not None:
        return explain(args.explain)
    if args.list_rules:
        return list_rules()
    return lint(args)


def lint(args) -> int:
    from orchdsl.check.linter import lint_paths
    from orchdsl.cli.reporters import reporter
    from orchdsl.cli.reporters.text import summary
    from orchdsl.lang.source import STDIN, SourceError, decode_utf8, read_stdin_bytes

    paths = args.paths or ["."]
    stdin_text = None
    if STDIN in paths:
        shown = args.stdin_filename or STDIN
        try:
            stdin_text = decode_utf8(read_stdin_bytes(sys.stdin.buffer, shown), shown)
        except SourceError as exc:
            sys.stderr.write(f"orchdsl lint: error: {exc}\n")
            return exits.USAGE
    report = lint_paths(paths, stdin_text, stdin_name=args.stdin_filename)
    for problem in report.unreadable:
        sys.stderr.write(f"orchdsl lint: error: {problem}\n")
    out = reporter(args.format, color=use_color(args.color, sys.stdout))
    sys.stdout.write(out.render(report))
    closing = summary(report)
    # With an unreadable path, its one-line error is the message (exit 2); no summary after it.
    if args.format == "text" and not args.quiet and closing and not report.unreadable:
        sys.stderr.write(closing + "\n")
    if report.unreadable:
        return exits.USAGE
    if report.errors or (args.strict and report.warnings):
        return exits.FAILED
    return exits.OK


def explain(code: str) -> int:
    from orchdsl.lang.diagnostics import did_you_mean
    from orchdsl.check.rules import all_rules

    rules = all_rules()
    rule = rules.get(code.upper())
    if rule is None and code.upper() == "E117":  # a code of fmt's, explained here too
        from orchdsl.formatting.regroup import KINDLESS_EXPLAINED

        sys.stdout.write(KINDLESS_EXPLAINED)
        return exits.OK
    if rule is None:
        hint = did_you_mean(code.upper(), rules)
        sys.stderr.write(f'orchdsl lint: error: no rule "{code}"'
                         f"{' (' + hint + ')' if hint else ''}; see orchdsl lint --list-rules\n")
        return exits.USAGE
    sys.stdout.write(plain_text(rule.explain()))
    return exits.OK


def list_rules() -> int:
    from orchdsl.check.rules import all_rules

    for rule in all_rules().values():
        summary = plain_text(rule.doc.split("\n\n", 1)[0].replace("\n", " "))
        print(f"{rule.code}  {rule.severity.value:<7}  {rule.slug:<36} {summary}")
    return exits.OK


def plain_text(doc: str) -> str:
    """A rule's docstring for a terminal: its markup (``code``, **bold**) as the plain words.
    The generated docs/lint-rules.md keeps the markup."""
    import re

    # Bold first: ``***`` (the mask) must not be read as the start of bold text.
    unbold = re.sub(r"\*\*([^*].*?)\*\*", r"\1", doc, flags=re.S)
    return re.sub(r"``(.+?)``", r"\1", unbold, flags=re.S)  # may run over a line break
