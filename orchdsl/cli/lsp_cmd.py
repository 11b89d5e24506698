"""``orchdsl lsp``: the language server, on standard input and output, for editors
(docs/editors.md). It needs the ``lsp`` extra (pygls); without it, one line says how to get
it, exit 2."""

from __future__ import annotations

import os
import sys

from orchdsl.cli import exits
from orchdsl.cli.args import ArgumentParser

DESCRIPTION = """\
Run the language server for .orch files on standard input and output, as an editor starts
it: diagnostics as you type (the parser and rules of orchdsl lint, with quick fixes),
hover, completion, go to definition and references, rename of a task, the outline, and
formatting (orchdsl fmt). It needs the lsp extra:

  pip install "orchdsl[lsp]"

An editor starts it itself: the VS Code extension in editors/vscode does (docs/editors.md).

examples:
  Neovim 0.11:  vim.lsp.config('orchdsl', {cmd = {'orchdsl', 'lsp'}, filetypes = {'orch'}})
  Helix:        [language-server.orchdsl] command = "orchdsl", args = ["lsp"]
  Emacs eglot:  (add-to-list 'eglot-server-programs '(orch-mode "orchdsl" "lsp"))
"""


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="orchdsl lsp", description=DESCRIPTION)
    parser.add_argument("--stdio", action="store_true",
                        help="talk over standard input and output (the default and only way; "
                             "accepted because editors' clients pass it)")
    return parser


def main(argv: list[str]) -> int:
    build_parser().parse_args(argv)
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        sys.stderr.write('orchdsl lsp: error: the language server needs the lsp extra: '
                         'pip install "orchdsl[lsp]"\n')
        return exits.USAGE
    from orchdsl.lsp.server import serve

    serve()
    # pygls closes standard output when the editor says "exit": nothing may be flushed to it.
    sys.stdout = open(os.devnull, "w", encoding="utf-8")
    return exits.OK
