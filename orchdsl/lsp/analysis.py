"""One version of one buffer, checked: its parse, lint's findings on it (the same parser and
rules as ``orchdsl lint``), the files that lint read, and what the editor features look up in
it (computed when first asked for)."""

from __future__ import annotations

from functools import cached_property
from typing import Mapping

from orchdsl.lang import ast
from orchdsl.lang.diagnostics import Diagnostic
from orchdsl.lang.parser import ParseResult, parse
from orchdsl.lsp.documents import Buffer, BufferLoader
from orchdsl.lsp.incremental import IncrementalParser
from orchdsl.lsp.positions import UTF16, LineIndex


class Analysis:
    def __init__(self, buffer: Buffer, result: ParseResult, diagnostics: tuple[Diagnostic, ...],
                 read: Mapping[str, str | None], encoding: str = UTF16):
        self.buffer = buffer
        self.result = result
        self.diagnostics = diagnostics
        self.read = read  # the real path of each nested file lint read -> the buffer text it
        # read (None: the file on disk)
        self.encoding = encoding

    @property
    def document(self) -> ast.Document:
        return self.result.document

    @property
    def orchestration(self) -> ast.Orchestration | None:
        return self.result.document.orchestration

    @cached_property
    def lines(self) -> LineIndex:
        return LineIndex(self.buffer.text, self.encoding)

    @cached_property
    def occurrences(self):
        from orchdsl.lsp.occurrences import occurrences

        return occurrences(self.document, self.buffer.path)

    @cached_property
    def symbols(self):
        from orchdsl.lsp.names import Names

        return Names.of(self.document, self.buffer.path)


def analyze(buffer: Buffer, texts: Mapping[str, str], encoding: str = UTF16,
            parser: IncrementalParser | None = None) -> Analysis:
    """Parse and lint one buffer, nested files read from ``texts`` (open buffers by real path)
    where they are open; ``parser``, the buffer's own, re-reads only what changed since the
    version it parsed last (``orchdsl.lsp.incremental``)."""
    from orchdsl.check.linter import lint_result

    loader = BufferLoader(texts)
    if parser is not None:
        result = parser.parse(buffer.text, buffer.path)
    else:
        result = parse(buffer.text, buffer.path)
    found = tuple(lint_result(result, loader))
    analysis = Analysis(buffer, result, found, dict(loader.read), encoding)
    analysis.lines  # built here, in the worker, rather than by the first feature that needs it
    return analysis
