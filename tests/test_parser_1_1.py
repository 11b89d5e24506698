"""orchdsl.lang (build_conditions, conditions, nodes): the syntax of language 1.1 as typed AST:
``when`` on phases and tasks, conditions, references, ``matrix``, ``on``, a task's ``param``,
raw strings and the interpolations of outputs and job values. Tables point into one file that
uses every construct (tests/cases/syntax/language-1.1.orch)."""

from __future__ import annotations

import dataclasses

import pytest

from conftest import LANGUAGE_1_1
from orchdsl.lang import ast
from orchdsl.lang.parser import parse
from orchdsl.lang.source import Span

SOURCE = LANGUAGE_1_1.read_text("utf-8")


@pytest.fixture(scope="module")
def orch() -> ast.Orchestration:
    result = parse(SOURCE, "v11.orch")
    assert result.diagnostics == ()
    return result.document.orchestration


def task(o: ast.Orchestration, name: str) -> ast.Task:
    return next(t for t in o.tasks if t.name.text == name)


def phase(o: ast.Orchestration, name: str) -> ast.Phase:
    return next(p for p in o.phases if p.name.value == name)


def load_crm_condition(o):
    return task(o, "load_crm").when.condition


def archive_condition(o):
    return task(o, "archive").when.condition


# what, node getter, (line, column), the source text the span covers
SPANS = [
    ("matrix from an output", lambda o: task(o, "load").matrices[0], (16, 52),
     "matrix file from tasks.list_files.outputs.files"),
    ("matrix name", lambda o: task(o, "load").matrices[0].name, (16, 59), "file"),
    ("matrix source", lambda o: task(o, "load").matrices[0].source, (16, 69),
     "tasks.list_files.outputs.files"),
    ("when on a task", lambda o: task(o, "load_crm").when, (18, 13),
     'when tasks.crm.outputs.rows > 0 or params.full_refresh == "true"'),
    ("or", load_crm_condition, (18, 18),
     'tasks.crm.outputs.rows > 0 or params.full_refresh == "true"'),
    ("comparison", lambda o: load_crm_condition(o).operands[0], (18, 18),
     "tasks.crm.outputs.rows > 0"),
    ("output reference", lambda o: load_crm_condition(o).operands[0].left, (18, 18),
     "tasks.crm.outputs.rows"),
    ("integer", lambda o: load_crm_condition(o).operands[0].right, (18, 43), "0"),
    ("param reference", lambda o: load_crm_condition(o).operands[1].left, (18, 48),
     "params.full_refresh"),
    ("string literal", lambda o: load_crm_condition(o).operands[1].right, (18, 71), '"true"'),
    ("raw string", lambda o: task(o, "regions").action.command, (19, 34),
     r'''r"publish.sh ${region} ${tier} | sed 's/\./,/g'"'''),
    ("interpolation in a raw string", lambda o: task(o, "regions").action.command.interpolations[1],
     (19, 57), "${tier}"),
    ("matrix list", lambda o: task(o, "regions").matrices[1], (21, 13),
     'matrix tier = ["gold", "silver"]'),
    ("matrix value", lambda o: task(o, "regions").matrices[1].values[1], (21, 36), '"silver"'),
    ("on", lambda o: task(o, "regions").on, (22, 13), 'on "gpu"'),
    ("on label", lambda o: task(o, "regions").on.label, (22, 16), '"gpu"'),
    ("param of a task", lambda o: task(o, "archive").params[0], (24, 13),
     'param day = "${job.fire_date}"'),
    ("job interpolation", lambda o: task(o, "archive").params[0].value.interpolations[0],
     (24, 26), "${job.fire_date}"),
    ("not", archive_condition, (25, 18),
     'not (tasks.crm.state != "succeeded" and failed(list_files))'),
    ("parentheses belong to the span of what they hold",
     lambda o: archive_condition(o).operand, (25, 22),
     '(tasks.crm.state != "succeeded" and failed(list_files))'),
    ("state reference", lambda o: archive_condition(o).operand.operands[0].left, (25, 23),
     "tasks.crm.state"),
    ("status call", lambda o: archive_condition(o).operand.operands[1], (25, 58),
     "failed(list_files)"),
    ("task argument", lambda o: archive_condition(o).operand.operands[1].args[0], (25, 65),
     "list_files"),
    ("when on a phase", lambda o: phase(o, "Alert").when, (28, 19), "when failed()"),
    ("call without arguments", lambda o: phase(o, "Cleanup").when.condition, (32, 26),
     "always()"),
    ("raw block string", lambda o: task(o, "tidy").action.command, (33, 35), None),
]


@pytest.mark.parametrize("getter, position, covered", [row[1:] for row in SPANS],
                         ids=[row[0] for row in SPANS])
def test_span(orch, getter, position, covered):
    span = getter(orch).span
    assert (span.line, span.column) == position
    if covered is not None:
        assert SOURCE[span.start:span.end] == covered


# what, node getter, the value
VALUES = [
    ("a task's condition, with its text", lambda o: task(o, "load_crm").when.text,
     'tasks.crm.outputs.rows > 0 or params.full_refresh == "true"'),
    ("or", lambda o: (load_crm_condition(o).op, len(load_crm_condition(o).operands)), ("or", 2)),
    ("comparison operator", lambda o: load_crm_condition(o).operands[0].op, ">"),
    ("reference parts", lambda o: load_crm_condition(o).operands[0].left.parts,
     ("tasks", "crm", "outputs", "rows")),
    ("reference task and output",
     lambda o: (load_crm_condition(o).operands[0].left.task,
                load_crm_condition(o).operands[0].left.output), ("crm", "rows")),
    ("param reference", lambda o: load_crm_condition(o).operands[1].left.param, "full_refresh"),
    ("integer", lambda o: load_crm_condition(o).operands[0].right.value, 0),
    ("state reference", lambda o: archive_condition(o).operand.operands[0].left.is_state, True),
    ("status call", lambda o: (archive_condition(o).operand.operands[1].name,
                               [a.text for a in archive_condition(o).operand.operands[1].args]),
     ("failed", ["list_files"])),
    ("phase conditions", lambda o: [(p.name.value, p.when and p.when.text) for p in o.phases],
     [("Extract", None), ("Load", None), ("Alert", "failed()"), ("Cleanup", "always()")]),
    ("a phase's when is a When, a task's a WhenOption",
     lambda o: (type(phase(o, "Alert").when), type(task(o, "load_crm").when)),
     (ast.When, ast.WhenOption)),
    ("matrices in clause order", lambda o: [(m.name.text, [v.value for v in m.values or ()])
                                            for m in task(o, "regions").matrices],
     [("region", ["eu", "us"]), ("tier", ["gold", "silver"])]),
    ("a dynamic matrix", lambda o: (task(o, "load").matrices[0].is_dynamic,
                                    task(o, "load").matrices[0].values,
                                    task(o, "load").matrices[0].source.output),
     (True, None, "files")),
    ("on", lambda o: task(o, "regions").on.label.value, "gpu"),
    ("param of a task", lambda o: [(p.name.text, p.value.value) for p in task(o, "archive").params],
     [("day", "${job.fire_date}")]),
    ("strings interpolated at run time include a task's param values",
     lambda o: [s.raw for s in task(o, "archive").strings()], ['"${job.fire_date}"']),
    ("a raw string keeps its backslash", lambda o: task(o, "regions").action.command.parts[-1],
     " | sed 's/\\./,/g'"),
    ("a raw string is raw", lambda o: task(o, "regions").action.command.is_raw, True),
    ("a raw block drops its indentation and $${ is a literal ${",
     lambda o: task(o, "tidy").action.command.parts[0], "rm -f files.txt ${HOME}/tmp/"),
    ("output interpolation", lambda o: task(o, "load_crm").action.command.interpolations[0]
     .output_ref, ("crm", "rows")),
    ("job interpolation", lambda o: task(o, "page").action.command.interpolations[0].job_value,
     "id"),
    ("a matrix value's interpolation is a plain name",
     lambda o: task(o, "load").action.command.interpolations[0].plain_name, "file"),
    ("a task without the new options", lambda o: (task(o, "crm").when, task(o, "crm").matrices,
                                                  task(o, "crm").on, task(o, "crm").params),
     (None, (), None, ())),
]


@pytest.mark.parametrize("getter, value", [row[1:] for row in VALUES],
                         ids=[row[0] for row in VALUES])
def test_value(orch, getter, value):
    assert getter(orch) == value


def _spans(node):
    if isinstance(node, Span):
        yield node
    elif isinstance(node, (tuple, list)):
        for item in node:
            yield from _spans(item)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for field in dataclasses.fields(node):
            yield from _spans(getattr(node, field.name))


def test_every_span_agrees_with_its_offsets(orch):
    for span in _spans(orch):
        line = SOURCE.count("\n", 0, span.start) + 1
        column = span.start - (SOURCE.rfind("\n", 0, span.start) + 1) + 1
        assert (line, column) == (span.line, span.column), span
        assert span.start < span.end


def test_the_tree_is_frozen_and_slotted(orch):
    node = load_crm_condition(orch)
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.op = "and"
    assert not hasattr(node, "__dict__")


# -- conditions: precedence, grouping, operands ------------------------------------------------

def condition(text: str) -> ast.Condition:
    source = (f'orchestration "O" {{\n    phase "P" {{\n        task t run "x" when {text}\n'
              "    }\n}\n")
    result = parse(source, "c.orch")
    assert result.diagnostics == (), [d.message for d in result.diagnostics]
    return result.document.orchestration.tasks[0].when.condition


def shape(node) -> object:
    """A condition as nested tuples: ("or", a, b), ("not", a), ("==", a, b), leaves as text."""
    if isinstance(node, ast.BoolOp):
        return (node.op, *[shape(o) for o in node.operands])
    if isinstance(node, ast.Not):
        return ("not", shape(node.operand))
    if isinstance(node, ast.Comparison):
        return (node.op, shape(node.left), shape(node.right))
    if isinstance(node, ast.StatusCall):
        args = [a.raw if isinstance(a, ast.StringLit) else a.text for a in node.args]
        return f"{node.name}({', '.join(args)})"
    if isinstance(node, ast.Reference):
        return node.text
    if isinstance(node, ast.StringLit):
        return node.raw
    return node.value


@pytest.mark.parametrize("text, expected", [
    ("true", True),
    ("false", False),
    ("12", 12),
    ('"text"', '"text"'),
    ('r"a\\b"', 'r"a\\b"'),
    ("params.day", "params.day"),
    ("env.HOME", "env.HOME"),
    ("job.fire_date", "job.fire_date"),
    ("tasks.load.2024-01.outputs.rows", "tasks.load.2024-01.outputs.rows"),
    ("always()", "always()"),
    ('failed(crm, load.eu, "Extract")', 'failed(crm, load.eu, "Extract")'),
    ("succeeded()", "succeeded()"),
    ("a == b" .replace("a", "params.a").replace("b", "params.b"),
     ("==", "params.a", "params.b")),
    ("params.a or params.b and params.c", ("or", "params.a", ("and", "params.b", "params.c"))),
    ("params.a and params.b or params.c", ("or", ("and", "params.a", "params.b"), "params.c")),
    ("params.a or params.b or params.c", ("or", "params.a", "params.b", "params.c")),
    ("(params.a or params.b) or params.c", ("or", ("or", "params.a", "params.b"), "params.c")),
    ("not params.a == 1", ("not", ("==", "params.a", 1))),
    ("not not true", ("not", ("not", True))),
    ("not params.a and params.b", ("and", ("not", "params.a"), "params.b")),
    ("(params.a == 1) == true", ("==", ("==", "params.a", 1), True)),
    ("params.a <= 2 and params.b >= 3 and params.c < 4 and params.d > 5 and params.e != 6",
     ("and", ("<=", "params.a", 2), (">=", "params.b", 3), ("<", "params.c", 4),
      (">", "params.d", 5), ("!=", "params.e", 6))),
], ids=repr)
def test_condition_grammar(text, expected):
    assert shape(condition(text)) == expected


@pytest.mark.parametrize("text, parts", [
    ("params.day", ("params", "day")),
    ("env.HOME", ("env", "HOME")),
    ("job.id", ("job", "id")),
    ("tasks.crm.outputs.rows", ("tasks", "crm", "outputs", "rows")),
    ("tasks.load.eu.outputs.x", ("tasks", "load.eu", "outputs", "x")),
    ("tasks.load.eu.gold.state", ("tasks", "load.eu.gold", "state")),
    ("tasks.a.outputs.state", ("tasks", "a", "outputs", "state")),  # the output named "state"
    ("tasks.outputs.outputs.x", ("tasks", "outputs", "outputs", "x")),  # a task named "outputs"
], ids=repr)
def test_reference_parts(text, parts):
    reference = condition(f"{text} == 1").left
    assert reference.parts == parts and reference.well_formed


def test_the_task_of_an_instance_reference():
    reference = condition("tasks.load.eu.outputs.x == 1").left
    assert (reference.task, reference.task_name, reference.output) == ("load.eu", "load", "x")


def test_a_condition_text_reads_line_breaks_and_comments_as_one_space():
    source = ('orchestration "O" {\n    phase "P" {\n        task t run "x"\n'
              '            when params.a == "#1"  # a comment\n'
              '                and params.b == "2"\n    }\n}\n')
    when = parse(source, "c.orch").document.orchestration.tasks[0].when
    assert when.text == 'params.a == "#1" and params.b == "2"'


# -- contextual keywords stay names elsewhere; 1.0 files parse as before ------------------------

CONTEXTUAL = ["on", "from", "and", "or", "not", "true", "false", "succeeded", "failed", "always"]


@pytest.mark.parametrize("word", CONTEXTUAL)
def test_a_contextual_keyword_names_a_task_a_param_and_a_needs(word):
    text = (f'orchestration "O" {{\n    param {word} = "v"\n    phase "P" {{\n'
            f'        task {word} run "echo ${{{word}}}"\n    }}\n'
            f'    phase "Q" {{\n        task other run "x" needs {word} when failed({word})\n'
            "    }\n}\n")
    result = parse(text, "k.orch")
    assert result.diagnostics == ()
    orchestration = result.document.orchestration
    assert orchestration.params[0].name.text == word
    assert orchestration.tasks[0].name.text == word
    other = orchestration.tasks[1]
    assert [w.text for w in other.needs] == [word]
    assert [a.text for a in other.when.condition.args] == [word]


@pytest.mark.parametrize("word", ["when", "matrix"])
def test_when_and_matrix_are_reserved(word):
    text = f'orchestration "O" {{\n    phase "P" {{\n        task {word} run "x"\n    }}\n}}\n'
    (diagnostic,) = parse(text, "r.orch").diagnostics
    assert diagnostic.message == f'"{word}" is a reserved word and cannot name a task'


def test_a_backslash_in_a_raw_string_is_itself_and_in_a_string_an_escape():
    text = ('orchestration "O" {\n    phase "P" {\n'
            '        task a run r"sed \'s/\\./,/\' ${day}" env X = "\\\\."\n    }\n}\n')
    parsed = parse(text, "r.orch")
    task_ = parsed.document.orchestration.tasks[0]
    assert task_.action.command.parts[0] == "sed 's/\\./,/' "
    assert task_.action.command.interpolations[0].name == "day"
    assert task_.env[0].value.parts == ("\\.",)
