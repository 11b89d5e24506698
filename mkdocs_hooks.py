"""MkDocs hooks (see ``hooks:`` in mkdocs.yml): pages generated from the code at build time.

- ``cli.md``: every command's ``--help``, from the live parsers (``orchdsl.docs_gen``), so a
  new command or option is documented by the next build.
- ``css/pygments.css``: the colours of Pygments' classes, which ``codehilite`` puts on the
  code; ``orch`` blocks are lexed by orchdsl's own lexer (the ``pygments.lexers`` entry point).
"""

from __future__ import annotations

from mkdocs.structure.files import File


def on_files(files, config):
    from orchdsl.docs_gen import cli_markdown, pygments_css

    files.append(File.generated(config, "cli.md", content=cli_markdown()))
    files.append(File.generated(config, "css/pygments.css", content=pygments_css()))
    return files
