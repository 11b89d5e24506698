"""What may stand at the cursor, read from the text before it: the block it is in (the file,
the orchestration, a phase), the clause or task line it is part of, and the word being typed.

It reads the buffer as the editor has it, half-typed lines included (which seldom parse), and
only as far back as it needs: one pass over the text before the cursor for its strings,
comments and braces (so the block is known), then the words of the block since its last brace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CLAUSES = ("description", "schedule", "notify", "concurrency", "timeout", "fail_fast", "param",
           "secret", "phase")
OPTIONS = ("timeout", "retries", "continue_on_failure", "disabled", "cwd", "env", "needs", "when",
           "matrix", "on", "param")
KINDS = ("extractor", "transformation", "writer", "application")
ACTIONS = ("run", "call", "orchestration")
STATUS = ("succeeded", "failed")

# The text before the cursor, as far as the block structure goes: strings (closed or not,
# which is where the cursor may be), comments and braces.
_STRUCTURE = re.compile(r'r?"""[\s\S]*?(?:"""|\Z)|r"[^"\n]*(?:"|$)|"(?:\\.|[^"\\\n])*(?:"|$)'
                        r'|#[^\n]*|[{}]', re.M)
# The words of a block: strings, words (references with their dots), numbers and durations, and
# the punctuation the grammar has. Comments are dropped.
_WORDS = re.compile(r'(?P<string>r?"""[\s\S]*?(?:"""|\Z)|r"[^"\n]*"?|"(?:\\.|[^"\\\n])*"?)'
                    r'|(?P<comment>#[^\n]*)|(?P<word>[A-Za-z_][A-Za-z0-9_.-]*\.?)'
                    r'|(?P<number>[0-9][0-9A-Za-z.]*)|(?P<op>==|!=|<=|>=|[<>=,()\[\]])')
_PARTIAL = re.compile(r"[A-Za-z0-9_.-]*\Z")
_PHASE = re.compile(r'\bphase\s+(r?"(?:\\.|[^"\\\n])*")')
_IGNORE = re.compile(r"#\s*orchdsl:\s*ignore\s*\[([^\]]*)\Z")


@dataclass(frozen=True)
class Cursor:
    """``want`` names what may stand at the cursor (one of the strings in
    ``orchdsl.lsp.completion.ANSWERS``); ``start`` is where the word being typed begins and
    ``typed`` is that word so far; ``words`` are the clause's or task's words before it."""

    want: str
    start: int
    typed: str = ""
    block: str = "file"  # "file", "orchestration" or "phase"
    phase: str | None = None  # the phase the cursor is in or names (its name)
    words: tuple[str, ...] = ()


def cursor(text: str, offset: int) -> Cursor:
    before = text[:offset]
    structure = _structure(before)
    if structure.inside is not None:
        return _in_string_or_comment(structure, before, offset)
    typed = _PARTIAL.search(before).group(0)
    start = offset - len(typed)
    words = [w for w in _words(before, structure.block_start, start)]
    return _classify(words, Cursor("nothing", start, typed, structure.block, structure.phase))


@dataclass
class _Structure:
    block: str = "file"
    block_start: int = 0  # where the words of the current block since its last brace start
    phase: str | None = None
    inside: re.Match | None = None  # the string or comment the cursor is in


def _structure(before: str) -> _Structure:
    found = _Structure()
    depth = 0
    for match in _STRUCTURE.finditer(before):
        token = match.group(0)
        if token == "{":
            depth += 1
            if depth == 2:
                found.phase = _phase_name(before, found.block_start, match.start())
        elif token == "}":
            depth = max(depth - 1, 0)
        elif match.end() == len(before) and _is_open(token):
            found.inside = match
            continue
        else:
            continue
        found.block_start = match.end()
    found.block = ("file", "orchestration", "phase")[min(depth, 2)]
    if depth < 2:
        found.phase = None
    return found


def _is_open(token: str) -> bool:
    """A string the cursor is inside (not closed before it), or a comment it is in."""
    if token.startswith("#"):
        return True
    body = token[1:] if token.startswith("r") else token
    if body.startswith('"""'):
        return len(body) < 6 or not body.endswith('"""')
    return len(body) < 2 or not body.endswith('"') or (
        not token.startswith("r") and re.search(r'(?<!\\)(?:\\\\)*\\"\Z', body) is not None)


def _unquote(token: str) -> str:
    return token.lstrip("r").strip('"')


def _phase_name(before: str, start: int, end: int) -> str | None:
    """The name of the phase whose ``{`` is at ``end``: the string after its keyword."""
    names = _PHASE.findall(before, start, end)
    return _unquote(names[-1]) if names else None


def _words(before: str, start: int, end: int) -> list[str]:
    return [m.group(0) for m in _WORDS.finditer(before, start, end) if m.lastgroup != "comment"]


def _in_string_or_comment(structure: _Structure, before: str, offset: int) -> Cursor:
    match = structure.inside
    token = match.group(0)
    block, phase = structure.block, structure.phase
    if token.startswith("#"):
        ignore = _IGNORE.search(token)
        if ignore is None:
            return Cursor("nothing", offset, block=block, phase=phase)
        typed = re.search(r"[A-Za-z0-9]*\Z", ignore.group(1)).group(0)
        return Cursor("rule code", offset - len(typed), typed, block, phase)
    opening = before.rfind("${", match.start())
    if opening >= 0 and "}" not in before[opening:]:
        typed = before[opening + 2:]
        words = _words(before, structure.block_start, match.start())
        return Cursor("interpolation", opening + 2, typed, block, phase, tuple(_statement(
            words, block)))
    words = _words(before, structure.block_start, match.start())
    if words and words[-1] == "timezone":
        quote = match.start() + len(token) - len(token.lstrip("r").lstrip('"'))
        return Cursor("zone in string", quote, before[quote:], block, phase)
    return Cursor("nothing", offset, block=block, phase=phase)


def _statement(words: list[str], block: str) -> list[str]:
    """The words of the clause or task line the cursor is in (from its keyword)."""
    starts = {"file": ("orchestration",), "orchestration": CLAUSES, "phase": ("task",)}[block]
    for index in range(len(words) - 1, -1, -1):
        if words[index] in starts:
            return words[index:]
    return words if block == "file" else []


def _classify(words: list[str], at: Cursor) -> Cursor:
    statement = _statement(words, at.block)
    at = Cursor(at.want, at.start, at.typed, at.block, at.phase, tuple(statement))
    if at.block == "file":
        return _want(at, "orchestration" if not statement else "nothing")
    if at.block == "orchestration":
        return _clause(statement, at)
    return _task(statement, at)


def _want(at: Cursor, want: str) -> Cursor:
    return Cursor(want, at.start, at.typed, at.block, at.phase, at.words)


def _clause(words: list[str], at: Cursor) -> Cursor:
    if not words:
        return _want(at, "clause")
    keyword, last = words[0], words[-1]
    complete = {"description": 2, "concurrency": 2, "timeout": 2, "fail_fast": 1, "secret": 2,
                "param": 4}
    if keyword in complete:
        return _want(at, "clause" if len(words) >= complete[keyword] else "nothing")
    if keyword == "schedule":
        modes = {"overlap": "overlap mode", "catchup": "catchup mode", "timezone": "zone"}
        if last in modes:
            return _want(at, modes[last])
        return _want(at, "schedule option" if len(words) >= 2 else "nothing")
    if keyword == "notify":
        return _want(at, _notify(words))
    if keyword == "phase":
        at = Cursor(at.want, at.start, at.typed, at.block,
                    _unquote(words[1]) if len(words) > 1 else None, at.words)
        if "when" in words:
            return _condition(words[words.index("when") + 1:], at, on_task=False)
        return _want(at, "phase when" if len(words) == 2 else "nothing")
    return _want(at, "nothing")


def _notify(words: list[str]) -> str:
    if "to" in words:
        return "clause" if words[-1] != "to" and words[-1] != "," else "nothing"
    if words[-1] in ("notify", ","):
        return "event"
    if words[-1] == "after":
        return "nothing"
    return "notify to"


def _task(words: list[str], at: Cursor) -> Cursor:
    if not words:
        return _want(at, "task")
    if len(words) == 1:
        return _want(at, "nothing")  # the task's name
    rest = words[2:]
    if rest and rest[0] in KINDS:
        rest = rest[1:]
    elif not rest:
        return _want(at, "kind or action")
    if not rest:
        return _want(at, "action")
    if rest[0] not in ACTIONS or len(rest) < 2 or _open_list(rest):
        return _want(at, "nothing")
    return _options(rest[2:] if rest[1] != "[" else _after_list(rest), at)


def _open_list(words: list[str]) -> bool:
    return "[" in words and words.count("[") > words.count("]")


def _after_list(words: list[str]) -> list[str]:
    return words[len(words) - words[::-1].index("]"):]


def _options(words: list[str], at: Cursor) -> Cursor:
    """After a task's action: its options, each from its keyword."""
    last_option = max((i for i, w in enumerate(words) if w in OPTIONS), default=None)
    if last_option is None:
        return _want(at, "option")
    option, after = words[last_option], words[last_option + 1:]
    if option == "needs":
        return _want(at, "task reference" if not after or after[-1] == "," else "option")
    if option == "when":
        return _condition(after, at, on_task=True)
    if option == "matrix":
        if len(after) == 2 and after[1] == "from":
            return _want(at, "matrix source")
        return _want(at, "option" if len(after) >= 3 and not _open_list(after) else "nothing")
    if option == "retries":
        return _want(at, {0: "nothing", 1: "backoff"}.get(len(after), "option"))
    needed = {"timeout": 1, "cwd": 1, "on": 1, "env": 3, "param": 3}.get(option, 0)
    return _want(at, "option" if len(after) >= needed else "nothing")


def _condition(words: list[str], at: Cursor, on_task: bool) -> Cursor:
    calls: list[str] = []
    for index, word in enumerate(words):
        if word == "(":
            calls.append(words[index - 1] if index else "")
        elif word == ")" and calls:
            calls.pop()
    last = words[-1] if words else "when"
    if calls and calls[-1] in STATUS and last in ("(", ","):
        return _want(at, "status argument")
    if calls and calls[-1] in STATUS:
        return _want(at, "nothing")
    if last in ("when", "and", "or", "not", "(") or re.fullmatch(r"==|!=|<=|>=|<|>", last):
        return _want(at, "operand")
    return _want(at, "after operand in task" if on_task else "after operand in phase")
