"""Parse successive versions of one buffer, re-reading only the tasks or clauses an edit
touched (docs/editors.md, "Performance"); the result is always the one ``parse`` gives.

The last version that parsed without a syntax error is the *base*: what its parse read
(``orchdsl.lang.parser.Reading``, the tree before comments were attached). For a new version,
the edit is where the texts differ; when it lies inside a run of tasks of one phase (or of
clauses of the orchestration), only that run is read again (``parser.parse_fragment``), from
the keyword of its first item to the token after its last one; the base's nodes, comments and
diagnostics before the run are kept, those after it are moved (``orchdsl.lsp.shift``). When
``parse_fragment`` cannot vouch for the outcome, or the edit reaches the orchestration's head,
the whole text is parsed.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, replace

from orchdsl._gc import gc_paused
from orchdsl.lang import ast
from orchdsl.lang.parser import Block, Fragment, ParseResult, Reading, finish, parse_fragment, read
from orchdsl.lsp.shift import Shift


@dataclass(frozen=True, slots=True)
class _Base:
    path: str
    text: str
    reading: Reading
    result: ParseResult


@dataclass(frozen=True, slots=True)
class _Run:
    """Items ``first..last`` of a block (tasks of the phase that is clause ``phase``, or
    clauses) to read again: from ``start`` (old and new offsets alike) to the ``follower``
    token at ``end`` (old offset)."""

    blocks: tuple[Block, ...]
    phase: int | None
    first: int
    last: int
    start: int
    follower: str
    end: int


class IncrementalParser:
    """``parse`` for one buffer's versions, each given whole. Not thread-safe: one worker
    parses a buffer's versions (``orchdsl.lsp.session``)."""

    def __init__(self):
        self._base: _Base | None = None
        self.reread = 0  # versions read in part, for the tests

    def parse(self, text: str, path: str) -> ParseResult:
        base = self._base
        if base is not None and base.path == path:
            if text == base.text:
                return base.result
            found = _reparse(base, text)
            if found is not None:
                self.reread += 1
                result, reading = found
                if reading is not None:
                    self._base = _Base(path, text, reading, result)
                return result
        result, reading = read(text, path)
        if reading.orchestration is not None and reading.reusable:
            self._base = _Base(path, text, reading, result)
        return result


def _reparse(base: _Base, text: str) -> tuple[ParseResult, Reading | None] | None:
    old = base.text
    start, old_end, new_end = _edit(old, text)
    run = _run(base.reading.orchestration, start, old_end)
    if run is None:
        return None
    shift = Shift(old, text, start, old_end, new_end)
    fragment = parse_fragment(text, base.path, run.blocks, run.start, run.follower,
                              run.end + shift.delta)
    if fragment is None:
        return None
    reading = base.reading
    comments = _spliced(reading.comments, fragment.comments, run, shift)
    diagnostics = _spliced(reading.diagnostics, fragment.diagnostics, run, shift)
    if fragment.syntax_errors:
        broken = Reading(None, comments, diagnostics)
        return finish(base.path, text, broken, fragment.syntax_errors), None
    with gc_paused():  # some 30,000 objects for the tail of a 2,000-task file, no cycles
        orchestration = _tree(reading.orchestration, run, fragment, shift)
        reading = Reading(orchestration, comments, diagnostics)
        return finish(base.path, text, reading), reading


_CHUNK = 4096


def _edit(old: str, new: str) -> tuple[int, int, int]:
    """Where the texts differ: ``old[start:old_end]`` became ``new[start:new_end]``."""
    shortest = min(len(old), len(new))
    start = _common(lambda i, j: old[i:j] == new[i:j], shortest)
    # The common suffix, no longer than what the prefix left.
    same = _common(lambda i, j: old[len(old) - j:len(old) - i] == new[len(new) - j:len(new) - i],
                   shortest - start)
    return start, len(old) - same, len(new) - same


def _common(equal, limit: int) -> int:
    """The length of the common part that ``equal(i, j)`` compares (characters ``i`` to ``j``
    from its start), at most ``limit``: chunk by chunk, then halving the chunk that differs."""
    position = 0
    while position < limit:
        end = min(position + _CHUNK, limit)
        if not equal(position, end):
            low, high = position, end - 1  # the first difference is in [low, high]
            while low < high:
                middle = (low + high) // 2
                if equal(low, middle + 1):
                    low = middle + 1
                else:
                    high = middle
            return low
        position = end
    return limit


def _run(orchestration: ast.Orchestration, start: int, old_end: int) -> _Run | None:
    """The shortest run of tasks of one phase, else of clauses, that holds the edit: it starts
    after the first item's keyword (which must read as before) and ends before the token that
    follows the last item."""
    clauses = orchestration.clauses
    outer = _items_run(clauses, start, old_end, orchestration.span.end - 1)
    if outer is None:
        return None
    first, last, follower, end = outer
    phase = clauses[first]
    if first == last and isinstance(phase, ast.Phase):
        inner = _items_run(phase.tasks, start, old_end, phase.span.end - 1)
        if inner is not None:
            blocks = (Block(orchestration, first > 0), Block(phase, inner[0] > 0))
            return _Run(blocks, first, inner[0], inner[1], phase.tasks[inner[0]].span.start,
                        inner[2], inner[3])
    return _Run((Block(orchestration, first > 0),), None, first, last,
                clauses[first].span.start, follower, end)


def _items_run(items: tuple, start: int, old_end: int, closing: int):
    """(first, last, follower terminal, follower offset) of the run of ``items`` that holds
    the edit, the block's ``}`` at ``closing``; None when the edit starts before the first
    item's keyword has been read (or the character after it, which ends it), or reaches the
    block's ``}``."""
    starts = [item.span.start for item in items]
    first = bisect_left(starts, start) - 1
    while first >= 0 and starts[first] + len(_keyword(items[first])) >= start:
        first -= 1
    if first < 0:
        return None
    last = first
    while last + 1 < len(items) and starts[last + 1] < old_end:
        last += 1
    if last + 1 < len(items):
        return first, last, _keyword(items[last + 1]).upper(), starts[last + 1]
    if closing < old_end:
        return None
    return first, last, "RBRACE", closing


def _keyword(item) -> str:
    return "task" if isinstance(item, ast.Task) else ast.CLAUSE_KEYWORDS[type(item)]


def _spliced(old: tuple, new: tuple, run: _Run, shift: Shift) -> tuple:
    """Comments or diagnostics: the base's before the run, the fragment's, the base's after
    it moved. Each group keeps its order (the order lexer and transformer reported them)."""
    before = tuple(x for x in old if x.span.start < run.start)
    after = [x for x in old if x.span.start >= run.end]
    return before + new + shift.values(after)


def _tree(orchestration: ast.Orchestration, run: _Run, fragment: Fragment,
          shift: Shift) -> ast.Orchestration:
    """The base's orchestration with the run's items replaced by the fragment's."""
    clauses = orchestration.clauses
    if run.phase is not None:
        phase, index = clauses[run.phase], run.phase
        tasks = phase.tasks[:run.first] + fragment.items + shift.values(phase.tasks[run.last + 1:])
        items = (replace(phase, span=shift.span(phase.span), tasks=tasks),)
        first, last = index, index
    else:
        items, first, last = fragment.items, run.first, run.last
    clauses = clauses[:first] + items + shift.values(clauses[last + 1:])
    return replace(orchestration, span=shift.span(orchestration.span), clauses=clauses)
