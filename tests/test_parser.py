"""orchdsl.lang.parser: .orch text to the typed AST, with spans, decoded strings and comments."""

from __future__ import annotations

import dataclasses

import pytest

from conftest import EXAMPLE_FILES
from orchdsl.lang import ast
from orchdsl.lang.parser import parse
from orchdsl.lang.source import Span

# One file that uses every construct; the tables below point into it.
SOURCE = r'''# leading comment of the file
orchestration "Demo" {  # opening of the orchestration
    # leads the description
    description """First line
  second ${day} line, ${env.HOME}
"""  # trails the description
    param day = "say \"hi\" \\ \t \$ \${lit} ${day}\n"
    secret TOKEN

    phase "Extract" {  # opens the phase
        # leads task crm
        task crm extractor run "python3 crm.py --day ${day} --token ${TOKEN}"  # trails the action
            retries 2 backoff 30s
            timeout 10m
        task sheet run ["python3", "sheet.py",]  # trails task sheet
        # closes the phase, 1
        # closes the phase, 2
    }
    phase "Rest" {
        task last transformation call "pkg.mod:fn"
        task error writer orchestration "nested.orch" disabled
        task app application run "x" continue_on_failure cwd "sub" env NAME = "v" needs crm, sheet
    }  # trails the phase
    # closes the orchestration
}  # trails the orchestration
# after the orchestration, 1
# after the orchestration, 2
'''


@pytest.fixture(scope="module")
def result():
    return parse(SOURCE, "demo.orch")


@pytest.fixture(scope="module")
def orch(result) -> ast.Orchestration:
    assert result.ok, result.diagnostics
    return result.document.orchestration


def _task(o: ast.Orchestration, name: str) -> ast.Task:
    return next(t for t in o.tasks if t.name.text == name)


def _clause(o: ast.Orchestration, cls: type):
    return o.of_type(cls)[0]


def _description(o):
    return _clause(o, ast.Description).text


# name, node getter, (line, column, end_line, end_column), the source text the span covers
# (None: too long to spell out; the offsets are still checked against the line and column).
SPANS = [
    ("orchestration", lambda o: o, (2, 1, 25, 2), None),
    ("orchestration name", lambda o: o.name, (2, 15, 2, 21), '"Demo"'),
    ("description clause", lambda o: _clause(o, ast.Description), (4, 5, 6, 4), None),
    ("multi-line string", _description, (4, 17, 6, 4),
     '"""First line\n  second ${day} line, ${env.HOME}\n"""'),
    ("interpolation in a multi-line string", lambda o: _description(o).interpolations[0],
     (5, 10, 5, 16), "${day}"),
    ("env interpolation in a multi-line string", lambda o: _description(o).interpolations[1],
     (5, 23, 5, 34), "${env.HOME}"),
    ("param", lambda o: o.params[0], (7, 5, 7, 55), None),
    ("param name", lambda o: o.params[0].name, (7, 11, 7, 14), "day"),
    ("param default with escapes", lambda o: o.params[0].default, (7, 17, 7, 55),
     r'"say \"hi\" \\ \t \$ \${lit} ${day}\n"'),
    ("secret", lambda o: o.secrets[0], (8, 5, 8, 17), "secret TOKEN"),
    ("phase", lambda o: o.phases[0], (10, 5, 18, 6), None),
    ("phase name", lambda o: o.phases[0].name, (10, 11, 10, 20), '"Extract"'),
    ("task with options on later lines", lambda o: _task(o, "crm"), (12, 9, 14, 24),
     'task crm extractor run "python3 crm.py --day ${day} --token ${TOKEN}"  # trails the action'
     "\n            retries 2 backoff 30s\n            timeout 10m"),
    ("task name", lambda o: _task(o, "crm").name, (12, 14, 12, 17), "crm"),
    ("task kind", lambda o: _task(o, "crm").kind_span, (12, 18, 12, 27), "extractor"),
    ("run action", lambda o: _task(o, "crm").action, (12, 28, 12, 78),
     'run "python3 crm.py --day ${day} --token ${TOKEN}"'),
    ("single-line string", lambda o: _task(o, "crm").action.command, (12, 32, 12, 78),
     '"python3 crm.py --day ${day} --token ${TOKEN}"'),
    ("interpolation in a single-line string",
     lambda o: _task(o, "crm").action.command.interpolations[0], (12, 54, 12, 60), "${day}"),
    ("second interpolation in a single-line string",
     lambda o: _task(o, "crm").action.command.interpolations[1], (12, 69, 12, 77), "${TOKEN}"),
    ("retries option on a later line", lambda o: _task(o, "crm").retries, (13, 13, 13, 34),
     "retries 2 backoff 30s"),
    ("backoff duration", lambda o: _task(o, "crm").retries.backoff, (13, 31, 13, 34), "30s"),
    ("timeout option on a later line", lambda o: _task(o, "crm").timeout, (14, 13, 14, 24),
     "timeout 10m"),
    ("argv action", lambda o: _task(o, "sheet").action, (15, 20, 15, 48),
     'run ["python3", "sheet.py",]'),
    ("argv element", lambda o: _task(o, "sheet").action.argv[1], (15, 36, 15, 46), '"sheet.py"'),
    ("call action", lambda o: _task(o, "last").action, (20, 34, 20, 51), 'call "pkg.mod:fn"'),
    ("orchestration action", lambda o: _task(o, "error").action, (21, 27, 21, 54),
     'orchestration "nested.orch"'),
    ("disabled option", lambda o: _task(o, "error").options[0], (21, 55, 21, 63), "disabled"),
    ("needs option", lambda o: _task(o, "app").options[-1], (22, 83, 22, 99), "needs crm, sheet"),
    ("needs name", lambda o: _task(o, "app").needs[1], (22, 94, 22, 99), "sheet"),
    ("env option", lambda o: _task(o, "app").env[0], (22, 68, 22, 82), 'env NAME = "v"'),
]


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _check_offsets(text: str, span: Span) -> None:
    """Line and column (1-based, end exclusive) agree with the character offsets."""
    assert _position(text, span.start) == (span.line, span.column), span
    assert _position(text, span.end) == (span.end_line, span.end_column), span


@pytest.mark.parametrize("getter, expected, covered", [row[1:] for row in SPANS],
                         ids=[row[0] for row in SPANS])
def test_span(orch, getter, expected, covered):
    span = getter(orch).span if not isinstance(getter(orch), Span) else getter(orch)
    assert (span.line, span.column, span.end_line, span.end_column) == expected
    assert span.path == "demo.orch"
    _check_offsets(SOURCE, span)
    if covered is not None:
        assert SOURCE[span.start:span.end] == covered


def test_whole_file_parses_without_diagnostics(result):
    assert result.ok
    assert result.diagnostics == ()


# -- strings ------------------------------------------------------------------------------------

def test_escapes_are_decoded_and_escaped_dollar_is_no_interpolation(orch):
    default = orch.params[0].default
    assert default.parts == ('say "hi" \\ \t $ ${lit} ', ast.Interpolation("day", default.parts[1].span),
                             "\n")
    assert [i.name for i in default.interpolations] == ["day"]


def test_multi_line_string_is_laid_out_like_a_docstring(orch):
    # docs/language.md: as inspect.cleandoc; a last line of only indentation is dropped.
    text = _description(orch)
    assert text.parts[0] == "First line\nsecond "
    assert [i.name for i in text.interpolations] == ["day", "env.HOME"]
    assert text.interpolations[1].env_var == "HOME"
    assert text.parts[-2:] == (" line, ", text.interpolations[1])


@pytest.mark.parametrize("literal, value", [
    ('"""one line"""', "one line"),
    ('"""\n    a\n      b\n    """', "a\n  b"),
    ('"""First\n  second\n"""', "First\nsecond"),
    ('"""\n    a\n\n    b\n    """', "a\n\nb"),
    ('"""\n\ta\n\t\tb\n\t"""', "a\n\tb"),
    ('"""\n    a\n  b\n"""', "  a\nb"),
    ('""""""', ""),
    ('"""\n"""', ""),
], ids=repr)
def test_multi_line_string_layout(literal, value):
    result = parse(f'orchestration "O" {{\n    description {literal}\n}}\n', "m.orch")
    assert result.ok, result.diagnostics
    assert result.document.orchestration.of_type(ast.Description)[0].text.value == value


def test_interpolation_span_in_an_indented_multi_line_string_points_at_the_source():
    text = 'orchestration "O" {\n    description """\n        run ${day} now\n        """\n}\n'
    string = parse(text, "m.orch").document.orchestration.of_type(ast.Description)[0].text
    (interpolation,) = string.interpolations
    span = interpolation.span
    assert (span.line, span.column, span.end_line, span.end_column) == (3, 13, 3, 19)
    assert text[span.start:span.end] == "${day}"
    assert string.parts == ("run ", interpolation, " now")


@pytest.mark.parametrize("literal, parts", [
    (r'"plain"', ("plain",)),
    (r'"a\"b"', ('a"b',)),
    (r'"back\\slash"', ("back\\slash",)),
    (r'"new\nline"', ("new\nline",)),
    (r'"tab\there"', ("tab\there",)),
    (r'"dollar \$5"', ("dollar $5",)),
    (r'"literal \${x}"', ("literal ${x}",)),
    (r'"${x}"', ("${x}",)),  # the value writes interpolations back; parts tell them apart
    (r'"""multi "quoted" line"""', ('multi "quoted" line',)),
    ('"""two\nlines"""', ("two\nlines",)),
    (r'"é € 日本"', ("é € 日本",)),
    (r'""', ()),
], ids=lambda v: v if isinstance(v, str) else None)
def test_string_literal_decoding(literal, parts):
    text = f'orchestration "O" {{\n    description {literal}\n}}\n'
    result = parse(text, "s.orch")
    assert result.ok, result.diagnostics
    string = result.document.orchestration.of_type(ast.Description)[0].text
    assert string.raw == literal
    decoded = "".join(p if isinstance(p, str) else "${" + p.name + "}" for p in string.parts)
    assert decoded == "".join(parts)
    assert string.value == "".join(parts)


def test_interpolation_is_not_text():
    result = parse('orchestration "O" {\n    description "a ${x} b"\n}\n', "s.orch")
    parts = result.document.orchestration.of_type(ast.Description)[0].text.parts
    assert parts[0] == "a " and parts[2] == " b"
    assert isinstance(parts[1], ast.Interpolation) and parts[1].name == "x"


# -- comments -----------------------------------------------------------------------------------

def _texts(comments) -> list[str]:
    return [c.text for c in comments]


COMMENTS = [
    ("file leading comment", lambda d: _texts(d.orchestration.comments.leading),
     ["# leading comment of the file"]),
    ("orchestration opening comment", lambda d: d.orchestration.opening_comment.text,
     "# opening of the orchestration"),
    ("clause leading comment",
     lambda d: _texts(d.orchestration.of_type(ast.Description)[0].comments.leading),
     ["# leads the description"]),
    ("clause trailing comment after a multi-line string",
     lambda d: d.orchestration.of_type(ast.Description)[0].comments.trailing.text,
     "# trails the description"),
    ("phase opening comment", lambda d: d.orchestration.phases[0].opening_comment.text,
     "# opens the phase"),
    ("task leading comment", lambda d: _texts(_task(d.orchestration, "crm").comments.leading),
     ["# leads task crm"]),
    ("trailing comment of a task's first line goes to its action",
     lambda d: _task(d.orchestration, "crm").action.comments.trailing.text,
     "# trails the action"),
    ("task continued on later lines has no trailing comment of its own",
     lambda d: _task(d.orchestration, "crm").comments.trailing, None),
    ("one-line task trailing comment",
     lambda d: _task(d.orchestration, "sheet").comments.trailing.text, "# trails task sheet"),
    ("phase closing comments", lambda d: _texts(d.orchestration.phases[0].closing_comments),
     ["# closes the phase, 1", "# closes the phase, 2"]),
    ("phase without comments inside", lambda d: (d.orchestration.phases[1].opening_comment,
                                                 d.orchestration.phases[1].closing_comments),
     (None, ())),
    ("phase trailing comment", lambda d: d.orchestration.phases[1].comments.trailing.text,
     "# trails the phase"),
    ("orchestration closing comments", lambda d: _texts(d.orchestration.closing_comments),
     ["# closes the orchestration"]),
    ("orchestration trailing comment", lambda d: d.orchestration.comments.trailing.text,
     "# trails the orchestration"),
    ("file trailing comments", lambda d: _texts(d.trailing_comments),
     ["# after the orchestration, 1", "# after the orchestration, 2"]),
    ("every comment of the file", lambda d: len(d.comments), 15),
]


@pytest.mark.parametrize("getter, expected", [row[1:] for row in COMMENTS],
                         ids=[row[0] for row in COMMENTS])
def test_comment_attachment(result, getter, expected):
    assert getter(result.document) == expected


def test_comment_spans(result):
    first = result.document.comments[0]
    assert first.span == Span("demo.orch", 1, 1, 1, 30, 0, 29)
    for comment in result.document.comments:
        _check_offsets(SOURCE, comment.span)
        assert SOURCE[comment.span.start:comment.span.end] == comment.text


# -- tasks --------------------------------------------------------------------------------------

TASKS = [
    # name, kind, action type, action value
    ("crm", ast.Kind.EXTRACTOR, ast.RunShell, "python3 crm.py --day ${day} --token ${TOKEN}"),
    ("sheet", None, ast.RunArgv, ["python3", "sheet.py"]),
    ("last", ast.Kind.TRANSFORMATION, ast.Call, "pkg.mod:fn"),
    ("error", ast.Kind.WRITER, ast.Nested, "nested.orch"),
    ("app", ast.Kind.APPLICATION, ast.RunShell, "x"),
]


def _action_value(action):
    if isinstance(action, ast.RunShell):
        return action.command.value
    if isinstance(action, ast.RunArgv):
        return [s.value for s in action.argv]
    if isinstance(action, ast.Call):
        return action.target.value
    return action.path.value


@pytest.mark.parametrize("name, kind, action_type, value", TASKS, ids=[t[0] for t in TASKS])
def test_task_kind_and_action(orch, name, kind, action_type, value):
    task = _task(orch, name)
    assert task.kind == kind
    assert (task.kind_span is None) == (kind is None)
    assert type(task.action) is action_type
    assert _action_value(task.action) == value


def test_tasks_in_file_order(orch):
    assert [p.name.value for p in orch.phases] == ["Extract", "Rest"]
    assert [t.name.text for t in orch.tasks] == ["crm", "sheet", "last", "error", "app"]


def test_options_continued_on_later_lines(orch):
    crm = _task(orch, "crm")
    assert [type(o) for o in crm.options] == [ast.RetriesOption, ast.TimeoutOption]
    assert crm.retries.count.value == 2
    assert (crm.retries.backoff.text, crm.retries.backoff.milliseconds) == ("30s", 30_000)
    assert (crm.timeout.duration.text, crm.timeout.duration.milliseconds) == ("10m", 600_000)


def test_every_option(orch):
    app = _task(orch, "app")
    assert app.continue_on_failure and not app.disabled
    assert app.cwd.path.value == "sub"
    assert [(e.name.text, e.value.value) for e in app.env] == [("NAME", "v")]
    assert [w.text for w in app.needs] == ["crm", "sheet"]
    assert _task(orch, "error").disabled


def test_clauses_in_file_order(orch):
    assert [type(c) for c in orch.clauses] == [ast.Description, ast.Param, ast.Secret, ast.Phase,
                                               ast.Phase]


SOFT_KEYWORDS = ["last", "error", "to", "after", "timezone", "overlap", "catchup", "queue", "skip",
                 "none", "warning", "success", "processing", "fixed"]


@pytest.mark.parametrize("word", SOFT_KEYWORDS)
def test_soft_keyword_names_a_task_and_a_param(word):
    text = (f'orchestration "O" {{\n    param {word} = "v"\n    phase "P" {{\n'
            f'        task {word} run "echo ${{{word}}}" needs {word}\n    }}\n}}\n')
    result = parse(text, "k.orch")
    assert result.diagnostics == ()
    orchestration = result.document.orchestration
    assert orchestration.params[0].name.text == word
    task = orchestration.tasks[0]
    assert task.name.text == word
    assert task.action.command.interpolations[0].name == word
    assert [w.text for w in task.needs] == [word]


@pytest.mark.parametrize("duration, milliseconds", [
    ("30s", 30_000), ("10m", 600_000), ("1h30m", 5_400_000), ("2d", 172_800_000),
    ("1500ms", 1500), ("1d2h3m4s5ms", 93_784_005), ("0s", 0),
    ("30m1h", None), ("90x", None), ("1h1h", None),
])
def test_duration_values(duration, milliseconds):
    result = parse(f'orchestration "O" {{\n    timeout {duration}\n}}\n', "d.orch")
    assert result.ok
    parsed = result.document.orchestration.of_type(ast.JobTimeout)[0].duration
    assert (parsed.text, parsed.milliseconds) == (duration, milliseconds)


# -- failures and invariants --------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "orchestration", 'orchestration "O" {', "}", "\x00"])
def test_bad_input_is_a_diagnostic_not_an_exception(text):
    result = parse(text, "bad.orch")
    assert not result.ok
    assert result.document.orchestration is None
    assert [d.code for d in result.diagnostics] == ["E001"]


def _spans(node):
    if isinstance(node, Span):
        yield node
    elif isinstance(node, (tuple, list)):
        for item in node:
            yield from _spans(item)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for field in dataclasses.fields(node):
            yield from _spans(getattr(node, field.name))


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_span_of_the_examples_agrees_with_its_offsets(path):
    text = path.read_text("utf-8")
    result = parse(text, str(path))
    assert result.ok, result.diagnostics
    spans = list(_spans(result.document.orchestration)) + [c.span for c in result.document.comments]
    assert len(spans) > 20
    for span in spans:
        _check_offsets(text, span)
        assert span.start < span.end
