"""Pages of the documentation site generated from the code, so they cannot fall behind it:
the command-line reference, from the live parsers of every command in ``COMMANDS``, and the
style sheet that colours code (the ``orch`` lexer's tokens included).

The MkDocs build calls these through ``mkdocs_hooks.py``; ``python -m orchdsl.docs_gen``
prints the command-line reference.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from orchdsl.cli.main import COMMANDS, top_help
from orchdsl.cli.parsers import command_parser

HELP_WIDTH = 90  # columns argparse wraps the help at; fixed so the page is the same everywhere

CLI_HEADER = """\
# Command line

Every command's `--help`, generated from the commands themselves when this site is built.
The conventions they share (streams, exit codes, diagnostics, JSON) are described in the
[language reference](reference.md#conventions-of-every-command).

```text
{top}```
"""


def cli_markdown() -> str:
    sections = [CLI_HEADER.format(top=top_help())]
    for name, (_, summary) in COMMANDS.items():
        sections.append(f"## orchdsl {name}\n\n{_sentence(summary)}\n\n{_help_block(name)}")
    return "\n".join(sections)


def _help_block(name: str) -> str:
    parser = command_parser(name)
    if parser is None:
        return f"Run `orchdsl {name} --help` for its options.\n"
    with _columns(HELP_WIDTH):
        text = parser.format_help()
    return f"```text\n{text.rstrip()}\n```\n"


def _sentence(summary: str) -> str:
    return summary[:1].upper() + summary[1:] + ("" if summary.endswith(".") else ".")


@contextmanager
def _columns(width: int):
    # argparse wraps at the terminal's width, read from COLUMNS first (shutil.get_terminal_size).
    before = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width + 2)
    try:
        yield
    finally:
        if before is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = before


def pygments_css(selector: str = ".codehilite") -> str:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style="default").get_style_defs(selector) + "\n"


if __name__ == "__main__":
    print(cli_markdown(), end="")
