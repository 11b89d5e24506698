"""Syntax colouring: the Pygments lexer (``orchdsl.highlight``, the ``orch`` lexer of the
``pygments.lexers`` entry point) and the TextMate grammar in ``editors/``.

Every example and every ``orch`` block of the docs highlights without an error token, in both.
The TextMate grammar is checked with a small interpreter of its rules written here on Python's
``re``: editors run it on Oniguruma, which accepts everything this grammar uses (look-ahead,
fixed-width look-behind, ``$``), so what cannot be tested here is only engine detail such as
VS Code's tie-breaking between rules beyond "earliest match, end pattern first, then list order",
which is what the interpreter does too.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pygments import lex
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import (Comment, Error, Keyword, Name, Number, Operator, Punctuation,
                            String)

from conftest import LANGUAGE_1_1
from orchdsl.lang import ast, parser
from orchdsl.highlight import EVENTS, RESERVED, STATUS_FUNCTIONS, OrchLexer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").rglob("*.orch"))
GRAMMAR_PATH = ROOT / "editors" / "vscode" / "syntaxes" / "orch.tmLanguage.json"
FENCE = re.compile(r"```orch\n(.*?)```", re.S)


def doc_blocks():
    """Every ``orch`` block of the README and docs/, fragments too. lint-rules.md is left out:
    its "Bad" examples are wrong on purpose (a bad escape is an error token, rightly)."""
    pages = [p for p in sorted((ROOT / "docs").glob("*.md")) if p.name != "lint-rules.md"]
    for path in [ROOT / "README.md", *pages]:
        for number, block in enumerate(FENCE.findall(path.read_text()), 1):
            yield pytest.param(block, id=f"{path.name}#{number}")


def example_files():
    for path in [*EXAMPLES, LANGUAGE_1_1]:
        yield pytest.param(path.read_text(), id=str(path.relative_to(ROOT)))


SOURCES = [*example_files(), *doc_blocks()]


# --- Pygments ---------------------------------------------------------------------------------

def tokens(text: str) -> list[tuple]:
    """The tokens of ``text`` but whitespace (unless an error), as (type, value)."""
    return [(kind, value) for kind, value in lex(text, OrchLexer())
            if value.strip() or kind in Error]


def test_the_word_lists_are_the_parsers():
    assert RESERVED == parser.RESERVED
    assert EVENTS == parser.EVENTS
    assert STATUS_FUNCTIONS == ast.STATUS_FUNCTIONS


@pytest.mark.parametrize("text", SOURCES)
def test_examples_and_docs_highlight_without_error_tokens(text):
    lexed = list(lex(text, OrchLexer()))
    assert [value for kind, value in lexed if kind in Error] == []
    assert "".join(value for _, value in lexed) == text + ("" if text.endswith("\n") else "\n")


CASES = [
    # reserved words, kinds, declarations
    ('phase "Extract" {', [(Keyword.Declaration, "phase"), (String.Double, '"'),
                           (String.Double, "Extract"), (String.Double, '"'), (Punctuation, "{")]),
    ("task crm extractor run", [(Keyword.Declaration, "task"), (Name.Function, "crm"),
                                (Keyword.Type, "extractor"), (Keyword, "run")]),
    ("task load-2 writer", [(Keyword.Declaration, "task"), (Name.Function, "load-2"),
                            (Keyword.Type, "writer")]),
    # a task may be called like a contextual word; a name containing a keyword is a name
    ("task last writer", [(Keyword.Declaration, "task"), (Name.Function, "last"),
                          (Keyword.Type, "writer")]),
    ("task error call", [(Keyword.Declaration, "task"), (Name.Function, "error"),
                         (Keyword, "call")]),
    ("phases run-all", [(Name, "phases"), (Name, "run-all")]),
    ("timezone to after queue", [(Name, "timezone"), (Name, "to"), (Name, "after"),
                                 (Name, "queue")]),
    ('param day = "today"', [(Keyword.Declaration, "param"), (Name.Variable, "day"),
                             (Operator, "="), (String.Double, '"'), (String.Double, "today"),
                             (String.Double, '"')]),
    ("secret CRM_TOKEN", [(Keyword.Declaration, "secret"), (Name.Variable, "CRM_TOKEN")]),
    ('env MODE = "x"', [(Keyword.Declaration, "env"), (Name.Variable, "MODE"), (Operator, "="),
                        (String.Double, '"'), (String.Double, "x"), (String.Double, '"')]),
    # clause words only where they stand
    ('schedule "@daily" timezone "UTC" overlap skip catchup last',
     [(Keyword, "schedule"), (String.Double, '"'), (String.Double, "@daily"),
      (String.Double, '"'), (Keyword, "timezone"), (String.Double, '"'), (String.Double, "UTC"),
      (String.Double, '"'), (Keyword, "overlap"), (Name.Constant, "skip"),
      (Keyword, "catchup"), (Name.Constant, "last")]),
    ('notify processing after 2h to "a@b.c"',
     [(Keyword, "notify"), (Name.Constant, "processing"), (Keyword, "after"), (Number, "2h"),
      (Keyword, "to"), (String.Double, '"'), (String.Double, "a@b.c"), (String.Double, '"')]),
    ("notify error, fixed to", [(Keyword, "notify"), (Name.Constant, "error"),
                                (Punctuation, ","), (Name.Constant, "fixed"), (Keyword, "to")]),
    ("needs a, b-2 disabled", [(Keyword, "needs"), (Name.Function, "a"), (Punctuation, ","),
                               (Name.Function, "b-2"), (Keyword, "disabled")]),
    ("needs a last", [(Keyword, "needs"), (Name.Function, "a"), (Name, "last")]),
    # numbers: durations and integers
    ("retries 2 backoff 1h30m", [(Keyword, "retries"), (Number.Integer, "2"),
                                 (Keyword, "backoff"), (Number, "1h30m")]),
    ("timeout 250ms", [(Keyword, "timeout"), (Number, "250ms")]),
    ("timeout 10x", [(Keyword, "timeout"), (Error, "10x")]),
    # strings: escapes, interpolation, long strings
    (r'"a\"b\\c\n\t\$"', [(String.Double, '"'), (String.Double, "a"), (String.Escape, r"\""),
                          (String.Double, "b"), (String.Escape, "\\\\"), (String.Double, "c"),
                          (String.Escape, r"\n"), (String.Escape, r"\t"), (String.Escape, r"\$"),
                          (String.Double, '"')]),
    ('"--day ${day} ${env.HOME}"',
     [(String.Double, '"'), (String.Double, "--day "), (String.Interpol, "${"),
      (Name.Variable, "day"), (String.Interpol, "}"), (String.Interpol, "${"),
      (Name.Variable, "env.HOME"), (String.Interpol, "}"), (String.Double, '"')]),
    (r'"\${literal} $5"', [(String.Double, '"'), (String.Escape, r"\$"),
                           (String.Double, "{literal} "), (String.Double, "$"),
                           (String.Double, "5"), (String.Double, '"')]),
    (r'"bad \q"', [(String.Double, '"'), (String.Double, "bad "), (Error, r"\q"),
                   (String.Double, '"')]),
    ('"${1x}"', [(String.Double, '"'), (Error, "${1x}"), (String.Double, '"')]),
    ('description """two "quoted"\nlines"""',
     [(Keyword, "description"), (String.Double, '"""'), (String.Double, "two "),
      (String.Double, '"'), (String.Double, "quoted"), (String.Double, '"'),
      (String.Double, "lines"), (String.Double, '"""')]),
    ('"not closed\ntask', [(String.Double, '"'), (String.Double, "not closed"),
                           (Error, "\n"), (Keyword.Declaration, "task")]),
    # comments
    ("# a comment", [(Comment.Single, "# a comment")]),
    ("disabled  # orchdsl: ignore[W205] kept for March",
     [(Keyword, "disabled"), (Comment.Special, "# orchdsl: ignore[W205] kept for March")]),
    ('run ["a", "b"]', [(Keyword, "run"), (Punctuation, "["), (String.Double, '"'),
                        (String.Double, "a"), (String.Double, '"'), (Punctuation, ","),
                        (String.Double, '"'), (String.Double, "b"), (String.Double, '"'),
                        (Punctuation, "]")]),
    ("task x run ?", [(Keyword.Declaration, "task"), (Name.Function, "x"), (Keyword, "run"),
                      (Error, "?")]),
    ('phase "p" { ... }', [(Keyword.Declaration, "phase"), (String.Double, '"'),
                           (String.Double, "p"), (String.Double, '"'), (Punctuation, "{"),
                           (Comment, "..."), (Punctuation, "}")]),
    # language 1.1: conditions
    ('when params.day == "mon" and not failed(crm, "Extract") timeout 5m',
     [(Keyword, "when"), (Name.Variable, "params.day"), (Operator, "=="), (String.Double, '"'),
      (String.Double, "mon"), (String.Double, '"'), (Operator.Word, "and"),
      (Operator.Word, "not"), (Name.Builtin, "failed"), (Punctuation, "("),
      (Name.Function, "crm"), (Punctuation, ","), (String.Double, '"'),
      (String.Double, "Extract"), (String.Double, '"'), (Punctuation, ")"), (Keyword, "timeout"),
      (Number, "5m")]),
    ("when (tasks.load.eu.outputs.n >= 2 or true) != false",
     [(Keyword, "when"), (Punctuation, "("), (Name.Variable, "tasks.load.eu.outputs.n"),
      (Operator, ">="), (Number.Integer, "2"), (Operator.Word, "or"), (Keyword.Constant, "true"),
      (Punctuation, ")"), (Operator, "!="), (Keyword.Constant, "false")]),
    ('phase "Alert" when always() {', [(Keyword.Declaration, "phase"), (String.Double, '"'),
                                       (String.Double, "Alert"), (String.Double, '"'),
                                       (Keyword, "when"), (Name.Builtin, "always"),
                                       (Punctuation, "("), (Punctuation, ")"),
                                       (Punctuation, "{")]),
    # the words of a condition are names elsewhere: a task may be called "on" or "failed"
    ("task on run needs failed, and", [(Keyword.Declaration, "task"), (Name.Function, "on"),
                                       (Keyword, "run"), (Keyword, "needs"),
                                       (Name.Function, "failed"), (Punctuation, ","),
                                       (Name.Function, "and")]),
    # matrix, on, a task's param
    ('matrix region = ["eu", "us"] on "gpu"',
     [(Keyword.Declaration, "matrix"), (Name.Variable, "region"), (Operator, "="),
      (Punctuation, "["), (String.Double, '"'), (String.Double, "eu"), (String.Double, '"'),
      (Punctuation, ","), (String.Double, '"'), (String.Double, "us"), (String.Double, '"'),
      (Punctuation, "]"), (Keyword, "on"), (String.Double, '"'), (String.Double, "gpu"),
      (String.Double, '"')]),
    ("matrix file from tasks.ls.outputs.files", [(Keyword.Declaration, "matrix"),
                                                 (Name.Variable, "file"), (Keyword, "from"),
                                                 (Name.Variable, "tasks.ls.outputs.files")]),
    ('param day = "${job.fire_date}"',
     [(Keyword.Declaration, "param"), (Name.Variable, "day"), (Operator, "="),
      (String.Double, '"'), (String.Interpol, "${"), (Name.Variable, "job.fire_date"),
      (String.Interpol, "}"), (String.Double, '"')]),
    ('"${tasks.load.eu.outputs.rows}"', [(String.Double, '"'), (String.Interpol, "${"),
                                         (Name.Variable, "tasks.load.eu.outputs.rows"),
                                         (String.Interpol, "}"), (String.Double, '"')]),
    ('"${job.start}"', [(String.Double, '"'), (Error, "${job.start}"), (String.Double, '"')]),
    # raw strings: a backslash is itself, $${ a literal ${
    (r'r"sed \. $${x} ${day}"', [(String.Double, 'r"'), (String.Double, r"sed \. "),
                                  (String.Escape, "$${"), (String.Double, "x} "),
                                  (String.Interpol, "${"), (Name.Variable, "day"),
                                  (String.Interpol, "}"), (String.Double, '"')]),
    ('r"""a "b"\n c\\d"""', [(String.Double, 'r"""'), (String.Double, "a "),
                                (String.Double, '"'), (String.Double, "b"), (String.Double, '"'),
                                (String.Double, " c\\d"), (String.Double, '"""')]),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_token_types(text, expected):
    assert tokens(text) == expected


def test_pygments_finds_the_lexer_through_the_entry_point():
    assert isinstance(get_lexer_by_name("orch"), OrchLexer)
    assert isinstance(get_lexer_for_filename("pipeline.orch"), OrchLexer)
    example = ROOT / "examples" / "opportunities" / "opportunities.orch"
    shown = subprocess.run([Path(sys.executable).parent / "pygmentize", "-l", "orch", "-f", "html",
                            example], capture_output=True, text=True, check=True).stdout
    assert '<span class="kd">orchestration</span>' in shown
    assert '<span class="nf">crm_db</span>' in shown


def test_importing_the_lexer_loads_nothing_heavy():
    code = ("import sys, orchdsl.highlight; "
            "print(sorted(m for m in ('lark', 'networkx', 'trio') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert loaded.strip() == "[]"


# --- TextMate ---------------------------------------------------------------------------------

def load_grammar() -> dict:
    return json.loads(GRAMMAR_PATH.read_text())


def grammar_regexes(node, where="$"):
    if isinstance(node, dict):
        for key in ("match", "begin", "end"):
            if key in node:
                yield f"{where}.{key}", node[key]
        for key, value in node.items():
            yield from grammar_regexes(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from grammar_regexes(value, f"{where}[{index}]")


class TextMate:
    """Enough of a TextMate engine to colour a file: rules tried at each position, the earliest
    match wins (the open rule's ``end`` first on a tie, then list order), ``begin``/``end``
    rules span lines, ``include`` of ``#repository`` entries, ``captures``."""

    def __init__(self, grammar: dict):
        self.grammar = grammar
        self.compiled: dict[str, re.Pattern] = {}

    def regex(self, pattern: str) -> re.Pattern:
        if pattern not in self.compiled:
            self.compiled[pattern] = re.compile(pattern)
        return self.compiled[pattern]

    def rules(self, patterns: list) -> list[dict]:
        flat = []
        for rule in patterns:
            if "include" in rule:
                flat.extend(self.rules([self.grammar["repository"][rule["include"][1:]]]))
            elif "patterns" in rule and "begin" not in rule:
                flat.extend(self.rules(rule["patterns"]))
            else:
                flat.append(rule)
        return flat

    def scopes(self, text: str) -> list[tuple[str, ...]]:
        """One tuple of scope names per character of ``text`` (newlines included)."""
        result: list[tuple[str, ...]] = []
        stack: list[dict] = []
        for line in text.split("\n"):
            line_scopes = [()] * len(line)
            self._line(line, stack, line_scopes)
            result.extend(line_scopes)
            result.append(tuple(f["name"] for f in stack if f.get("name")))
        return result[:len(text)]

    def _line(self, line: str, stack: list[dict], out: list) -> None:
        pos = 0
        while True:
            frame = stack[-1] if stack else None
            base = tuple(f["name"] for f in stack if f.get("name"))
            candidates = []
            if frame is not None:
                found = self.regex(frame["end"]).search(line, pos)
                if found:
                    candidates.append((found.start(), 0, "end", frame, found))
            patterns = frame["patterns"] if frame else self.grammar["patterns"]
            for order, rule in enumerate(self.rules(patterns), 1):
                found = self.regex(rule.get("match") or rule["begin"]).search(line, pos)
                if found:
                    candidates.append((found.start(), order, "rule", rule, found))
            if not candidates:
                self._paint(out, pos, len(line), base)
                return
            _, _, what, rule, found = min(candidates, key=lambda c: (c[0], c[1]))
            self._paint(out, pos, found.start(), base)
            if what == "end":
                self._paint(out, found.start(), found.end(), base)
                self._captures(out, found, base, rule.get("endCaptures", {}))
                stack.pop()
            elif "match" in rule:
                inner = base + ((rule["name"],) if "name" in rule else ())
                self._paint(out, found.start(), found.end(), inner)
                self._captures(out, found, inner, rule.get("captures", {}))
            else:
                inner = base + ((rule["name"],) if "name" in rule else ())
                self._paint(out, found.start(), found.end(), inner)
                self._captures(out, found, inner, rule.get("beginCaptures", {}))
                stack.append({"name": rule.get("name"), "end": rule["end"],
                              "patterns": rule.get("patterns", [])})
            if found.end() == found.start() and what != "end":
                self._paint(out, pos, pos + 1, base)
                pos += 1
            pos = max(pos, found.end())
            if pos > len(line):
                return

    @staticmethod
    def _paint(out, start, end, scopes):
        for i in range(start, min(end, len(out))):
            out[i] = scopes

    @staticmethod
    def _captures(out, found, base, captures):
        for group, spec in captures.items():
            if found.start(int(group)) >= 0 and "name" in spec:
                TextMate._paint(out, found.start(int(group)), found.end(int(group)),
                                base + (spec["name"],))


def tm_words(text: str) -> dict[str, str]:
    """Each word of ``text`` with the innermost scope of its first character."""
    engine = TextMate(load_grammar())
    scopes = engine.scopes(text)
    words: dict[str, str] = {}
    for m in re.finditer(r"[A-Za-z_][A-Za-z0-9_-]*|[0-9][A-Za-z0-9]*|[{}\[\],=]", text):
        words.setdefault(m.group(), (scopes[m.start()] or ("",))[-1])
    return words


def test_the_textmate_grammar_is_json_with_regexes_python_can_compile():
    grammar = load_grammar()
    assert grammar["scopeName"] == "source.orch" and grammar["fileTypes"] == ["orch"]
    regexes = list(grammar_regexes(grammar))
    assert len(regexes) > 20
    for where, pattern in regexes:
        re.compile(pattern), where


def test_every_include_names_a_repository_entry():
    grammar = load_grammar()
    text = json.dumps(grammar)
    for name in re.findall(r'"include": "#([^"]+)"', text):
        assert name in grammar["repository"], name


def test_the_vscode_extension_ships_the_grammar():
    vscode = ROOT / "editors" / "vscode"
    package = json.loads((vscode / "package.json").read_text())
    (grammar,) = package["contributes"]["grammars"]
    assert (vscode / grammar["path"]).read_text() == GRAMMAR_PATH.read_text()
    assert package["contributes"]["languages"][0]["extensions"] == [".orch"]
    json.loads((vscode / "language-configuration.json").read_text())


@pytest.mark.parametrize("text", SOURCES)
def test_examples_and_docs_have_no_invalid_scopes_in_the_textmate_grammar(text):
    scopes = TextMate(load_grammar()).scopes(text)
    bad = sorted({text[i] for i, s in enumerate(scopes) if any(x.startswith("invalid") for x in s)})
    assert bad == []


TM_CASES = [
    ('orchestration "O" {', {"orchestration": "storage.type.orch",
                              "O": "string.quoted.double.orch",
                              "{": "punctuation.section.block.begin.orch"}),
    ("task last writer run", {"task": "storage.type.task.orch",
                              "last": "entity.name.function.task.orch",
                              "writer": "support.type.kind.orch", "run": "keyword.other.orch"}),
    ('schedule "@daily" timezone "UTC" overlap skip\n  catchup last',
     {"schedule": "keyword.other.schedule.orch", "timezone": "keyword.other.orch",
      "skip": "constant.language.mode.orch", "last": "constant.language.mode.orch"}),
    ('schedule "@daily"\nphase "P" { task skip writer run "x" }',
     {"phase": "storage.type.orch", "skip": "entity.name.function.task.orch"}),
    ('notify error, processing after 1h30m to "a@b.c"',
     {"notify": "keyword.other.notify.orch", "error": "constant.language.event.orch",
      "after": "keyword.other.orch", "1h30m": "constant.numeric.duration.orch",
      "to": "keyword.other.orch"}),
    ("needs a, b disabled retries 2 timeout 10x",
     {"a": "entity.name.function.task.orch", "b": "entity.name.function.task.orch",
      "disabled": "keyword.other.orch", "2": "constant.numeric.integer.orch",
      "10x": "invalid.illegal.duration.orch"}),
    ("timezone to queue phases", {"timezone": "variable.other.name.orch",
                                  "to": "variable.other.name.orch",
                                  "phases": "variable.other.name.orch"}),
    ('param day = "x ${day}"', {"param": "storage.type.orch",
                                "day": "variable.other.declaration.orch",
                                "=": "keyword.operator.assignment.orch"}),
    ("disabled # kept: orchdsl: ignore[W205]", {"kept": "comment.line.number-sign.orch",
                                                "ignore": "keyword.other.directive.ignore.orch"}),
    # language 1.1
    ('when params.day == "mon" and not failed(crm, "Extract") timeout 5m',
     {"when": "keyword.control.conditional.orch", "params": "variable.other.reference.orch",
      "and": "keyword.operator.logical.orch",
      "not": "keyword.operator.logical.orch", "failed": "support.function.status.orch",
      "crm": "entity.name.function.task.orch", "timeout": "keyword.other.orch",
      "5m": "constant.numeric.duration.orch"}),
    ('phase "Alert" when true {\n    task on run "x" on "gpu"',
     {"true": "constant.language.boolean.orch", "{": "punctuation.section.block.begin.orch",
      "task": "storage.type.task.orch", "on": "entity.name.function.task.orch"}),
    ('task x run "x" on "gpu"', {"on": "keyword.other.orch"}),
    ('matrix region = ["eu"] matrix file from tasks.ls.outputs.files',
     {"matrix": "storage.type.orch", "region": "variable.other.declaration.orch",
      "from": "keyword.other.orch", "tasks": "variable.other.reference.orch"}),
    ("task from run needs and", {"from": "entity.name.function.task.orch",
                                 "and": "entity.name.function.task.orch"}),
]


@pytest.mark.parametrize(("text", "expected"), TM_CASES, ids=[c[0][:40] for c in TM_CASES])
def test_textmate_scopes(text, expected):
    words = tm_words(text)
    assert {word: words[word] for word in expected} == expected


@pytest.mark.parametrize(("text", "scope"), [
    (r'"a \n b"', "constant.character.escape.orch"),
    (r'"a \q b"', "invalid.illegal.escape.orch"),
    ('"--day ${day}"', "variable.other.interpolated.orch"),
    ('"${tasks.load.eu.outputs.rows}"', "variable.other.interpolated.orch"),
    ('"${job.fire_time}"', "variable.other.interpolated.orch"),
    ('"${1x}"', "invalid.illegal.interpolation.orch"),
    ('"${job.start}"', "invalid.illegal.interpolation.orch"),
])
def test_textmate_string_contents(text, scope):
    scopes = TextMate(load_grammar()).scopes(text)
    assert any(scope in s for s in scopes)
    assert all("string.quoted.double.orch" in s for s in scopes)


@pytest.mark.parametrize(("text", "scope"), [
    (r'r"sed \. ${day}"', "variable.other.interpolated.orch"),
    (r'r"a $${b}"', "constant.character.escape.orch"),
])
def test_textmate_raw_strings_have_no_escapes_but_interpolate(text, scope):
    scopes = TextMate(load_grammar()).scopes(text)
    assert any(scope in s for s in scopes)
    assert all("string.quoted.double.raw.orch" in s for s in scopes)
    assert not any(x.startswith("invalid") for s in scopes for x in s)


def test_textmate_comparison_operators():
    text = "when tasks.a.outputs.n >= 2 or params.x != params.y"
    scopes = TextMate(load_grammar()).scopes(text)
    for operator in (">=", "!="):
        assert scopes[text.index(operator)][-1] == "keyword.operator.comparison.orch"


def test_textmate_long_strings_span_lines_and_short_ones_do_not():
    engine = TextMate(load_grammar())
    long = 'description """a\n"b"\n"""\nphase'
    scopes = engine.scopes(long)
    assert "string.quoted.triple.orch" in scopes[long.index("b")]
    assert scopes[long.index("phase")][-1] == "storage.type.orch"
    short = '"open\nphase'
    assert engine.scopes(short)[short.index("phase")][-1] == "storage.type.orch"
