"""Parse .orch text into the typed AST (``orchdsl.lang.ast``), with syntax diagnostics as values.

The LALR parser is built once per process and applies the transformer (``orchdsl.lang.build``)
while it parses, so no ``lark.Tree`` is ever built or seen outside this package. A syntax error
does not end the parse: ``orchdsl.lang.recovery`` resumes after it, so every error of a file is
reported, each at its own place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from lark import Lark
from lark.exceptions import UnexpectedInput

from orchdsl.lang import ast
from orchdsl._gc import gc_paused
from orchdsl.lang.build import MAX_DIGITS, AstBuilder
from orchdsl.lang.comments import attach_comments
from orchdsl.lang.diagnostics import Diagnostic
from orchdsl.lang.keywords import CATCHUP_MODES, CONTEXTUAL, EVENTS, OVERLAP_MODES, RESERVED
from orchdsl.lang.parse_state import STATE, ParseState, keep_comment
from orchdsl.lang.recovery import Recovery

__all__ = ["ParseResult", "parse", "RESERVED", "CONTEXTUAL", "EVENTS", "OVERLAP_MODES",
           "CATCHUP_MODES", "MAX_DIGITS"]


@dataclass(frozen=True, slots=True)
class ParseResult:
    document: ast.Document
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def parse(text: str, path: str = "<string>") -> ParseResult:
    """Parse one file's text. Never raises on bad input: problems come back as diagnostics.

    A file with a grammar error has no orchestration (``document.orchestration`` is None);
    its diagnostics are every error found, in file order.
    """
    state = ParseState(path, text)
    token = STATE.set(state)
    recovery = Recovery(text, path)
    orchestration = None
    try:
        with gc_paused():
            orchestration = _parser().parse(text, on_error=recovery)
    except UnexpectedInput:
        pass  # the recovery gave up (the end of the file): what it found is reported
    finally:
        STATE.reset(token)
    if recovery.diagnostics:
        found = sorted([*recovery.diagnostics, *state.diagnostics], key=Diagnostic.sort_key)
        document = ast.Document(path, text, None, tuple(state.comments))
        return ParseResult(document, tuple(found))
    orchestration, trailing = attach_comments(orchestration, state.comments)
    document = ast.Document(path, text, orchestration, tuple(state.comments), trailing)
    return ParseResult(document, tuple(state.diagnostics))


def _grammar_text() -> str:
    return resources.files("orchdsl.lang").joinpath("orch.lark").read_text("utf-8")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = _grammar_text()
    return Lark(grammar, parser="lalr", lexer="contextual", transformer=AstBuilder(),
                maybe_placeholders=True, lexer_callbacks={"COMMENT": keep_comment},
                cache=_cache_file())


def _cache_file() -> str | bool:
    """Where lark keeps the analysed grammar (3 ms to load instead of 50 ms to build).

    A per-user folder, never the shared temporary folder: the cache is a pickle, and loading a
    pickle someone else wrote runs their code. Lark checks a hash of the grammar and options
    before it uses the file, and rebuilds (quietly) when the file is missing or broken.
    """
    import lark

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "orchdsl")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError:
        return False
    if not os.access(folder, os.W_OK):
        return False
    return os.path.join(folder, f"grammar-lark{lark.__version__}.cache")
