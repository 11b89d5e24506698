"""The formatter, checked as black checks itself: every case file under tests/cases/fmt/ (the
input, a ``==== expected ====`` line, the expected output) gives ``fmt(x) == expected``,
``fmt(fmt(x)) == fmt(x)`` and the same AST (comments included) for both; the examples are
formatted already and come back to the same text after random changes of their whitespace;
--group-by-kind and --move are tables of inputs and outputs or refusals."""

from __future__ import annotations

import random
import re
from collections import Counter
from functools import partial
from pathlib import Path

import pytest
from conftest import EXAMPLE_FILES, LANGUAGE_1_1

from orchdsl.formatting.equivalence import same_document
from orchdsl.formatting.formatter import Outcome, format_text
from orchdsl.formatting.regroup import UnknownTask, group_by_kind, move_task
from orchdsl.check.linter import lint_source
from orchdsl.lang import ast
from orchdsl.lang.parser import parse

CASES = sorted((Path(__file__).parent / "cases" / "fmt").glob("*.case"))
SEPARATOR = "==== expected ====\n"


def fmt(text: str, rewrite=None, path: str = "x.orch") -> str:
    result = format_text(text, path, rewrite)
    assert result.outcome is Outcome.FORMATTED, [d.message for d in result.diagnostics]
    return result.text


def read_case(path: Path) -> tuple[str, str]:
    source, expected = path.read_text(encoding="utf-8").split(SEPARATOR)
    return source, expected


def findings(text: str, path: str) -> Counter:
    """What lint reports, without positions (the layout moves lines)."""
    return Counter((d.code, d.message) for d in lint_source(text, path))


# -- the case files ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_case_formats_to_the_expected_text(case):
    source, expected = read_case(case)
    assert fmt(source) == expected


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_case_is_idempotent(case):
    once = fmt(read_case(case)[0])
    assert fmt(once) == once


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_case_keeps_the_ast_and_every_comment(case, tmp_path):
    source, _ = read_case(case)
    path = str(tmp_path / "x.orch")
    before, after = parse(source, path).document, parse(fmt(source), path).document
    assert same_document(before, after)
    assert [c.text.rstrip() for c in before.comments] == [c.text.rstrip() for c in after.comments]


_WORD = re.compile(r'"""(?:[^"\\]|\\[\s\S]|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*'
                   r'|[^\s"#\[\],={}]+|[{}]')


def words_before_each_comment(text: str) -> list[tuple[str, int]]:
    """(comment, how many words come before it): punctuation (``,`` ``=`` brackets) is no
    word, so it may move; a word may not move past a comment."""
    found, words = [], 0
    for match in _WORD.finditer(text):
        if match.group().startswith("#"):
            found.append((match.group().rstrip(), words))
        else:
            words += 1
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_case_keeps_every_comment_between_the_same_words(case):
    source, _ = read_case(case)
    assert words_before_each_comment(fmt(source)) == words_before_each_comment(source)


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_case_lints_the_same_after_formatting(case, tmp_path):
    """Ignore comments still silence what they silenced (findings about a task are reported
    at its name, on the task line); they may silence more, never less (next test)."""
    source, _ = read_case(case)
    path = str(tmp_path / "x.orch")
    before, after = findings(source, path), findings(fmt(source), path)
    if case.stem == "ignore_comments":
        assert before - after == Counter({("W205", 'task "joined" is disabled'): 1})
        assert after - before == Counter()
    else:
        assert after == before


def test_an_ignore_at_the_end_of_a_task_keeps_the_task_on_its_line(tmp_path):
    source, expected = read_case(Path(__file__).parent / "cases" / "fmt" / "ignore_comments.case")
    path = str(tmp_path / "x.orch")

    def disabled(text):
        return [d.message for d in lint_source(text, path) if d.code == "W205"]

    # "other" ends in an ordinary comment: its W205 stays. "joined" had its ignore on its
    # second line, where nothing is reported; on one line, the ignore now works.
    assert disabled(source) == ['task "other" is disabled', 'task "joined" is disabled']
    assert disabled(expected) == ['task "other" is disabled']


# -- the examples -----------------------------------------------------------------------------


FORMATTED = [*EXAMPLE_FILES, LANGUAGE_1_1]


@pytest.mark.parametrize("example", FORMATTED, ids=[p.name for p in FORMATTED])
def test_every_example_is_formatted(example):
    text = example.read_text(encoding="utf-8")
    assert fmt(text, path=str(example)) == text


_TOKEN = re.compile(r'(?P<long>"""(?:[^"\\]|\\[\s\S]|"(?!""))*""")|(?P<str>"(?:[^"\\\n]|\\.)*")'
                    r'|(?P<comment>#[^\n]*)|(?P<space>[ \t\r\n]+)|(?P<other>[^\s"#]+|")')


def perturbed(text: str, rng: random.Random) -> str:
    """The same file with other whitespace: other indentation, blank lines, spaces between
    words and before comments, trailing blanks after comments, and lines joined or split
    where no comment is on them (so that no comment changes the node it belongs to)."""
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text)]
    assert "".join(t for _, t in tokens) == text
    commented_lines, line = set(), 1
    lines_of = []
    for kind, token in tokens:
        lines_of.append(line)
        if kind == "comment":
            commented_lines.add(line)
        line += token.count("\n")
    out = []
    for index, (kind, token) in enumerate(tokens):
        if kind == "comment":
            out.append(token + rng.choice(["", " ", "\t ", "  "]))
        elif kind == "space" and 0 < index < len(tokens) - 1:
            quiet = not {lines_of[index], lines_of[index + 1]} & commented_lines
            out.append(_other_space(token, quiet, rng))
        else:
            out.append(token)
    return "".join(out)


def _other_space(space: str, quiet: bool, rng: random.Random) -> str:
    indent = "".join(rng.choice(" \t") for _ in range(rng.randint(0, 10)))
    if "\n" in space:
        if quiet and rng.random() < 0.3:
            return " " * rng.randint(1, 3)  # join the two lines
        return "\n" * rng.randint(1, 3) + indent
    if quiet and rng.random() < 0.15:
        return "\n" + indent  # split the line
    return "".join(rng.choice(" \t") for _ in range(rng.randint(1, 4)))


@pytest.mark.parametrize("example", FORMATTED, ids=[p.name for p in FORMATTED])
def test_perturbed_examples_format_back_to_the_same_text(example):
    text = example.read_text(encoding="utf-8")
    rng = random.Random(f"orchdsl-fmt-{example.name}")
    for _ in range(40):
        changed = perturbed(text, rng)
        assert fmt(changed, path=str(example)) == text, changed


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_perturbed_cases_format_to_the_same_text(case):
    source, expected = read_case(case)
    rng = random.Random(f"orchdsl-fmt-{case.stem}")
    for _ in range(20):
        changed = perturbed(source, rng)
        assert fmt(changed) == expected, changed


# -- the safety check covers language 1.1 ---------------------------------------------------------


def _with(option: str, when: str = "") -> ast.Document:
    text = (f'orchestration "X" {{\n    phase "P"{when} {{\n        task t run "x" {option}\n'
            "    }\n}\n")
    parsed = parse(text, "x.orch")
    assert parsed.ok, parsed.diagnostics
    return parsed.document


@pytest.mark.parametrize(("first", "second", "same"), [
    ('when params.a == "1"', 'when params.a=="1"', True),
    ('when (params.a == "1")', 'when params.a == "1"', True),
    ('when params.a == "1"', 'when params.a != "1"', False),
    ('when params.a == "1"', 'when params.b == "1"', False),
    ('when params.a == "1"', 'when params.a == 1', False),
    ('when params.a == "1" or params.b == "2" and params.c == "3"',
     'when (params.a == "1" or params.b == "2") and params.c == "3"', False),
    ("when not true", "when true", False),
    ("when failed(a)", "when failed(b)", False),
    ('when failed("a")', "when failed(a)", False),
    ("when failed(a)", "when succeeded(a)", False),
    ("when tasks.a.eu.outputs.x == 1", "when tasks.a.us.outputs.x == 1", False),
    ('matrix x = ["a"]', 'matrix x = ["b"]', False),
    ('matrix x = ["a"]', 'matrix y = ["a"]', False),
    ("matrix x from tasks.a.outputs.f", "matrix x from tasks.a.outputs.g", False),
    ('on "gpu"', 'on "cpu"', False),
    ('param n = "1"', 'env n = "1"', False),
    ('cwd r"a\\b"', 'cwd "a\\\\b"', True),
], ids=repr)
def test_the_safety_check_sees_every_part_of_the_new_options(first, second, same):
    assert same_document(_with(first), _with(second)) is same


@pytest.mark.parametrize(("first", "second", "same"), [
    (" when failed()", " when failed()", True),
    (" when failed()", "", False),
    (" when failed()", " when always()", False),
], ids=repr)
def test_the_safety_check_sees_a_phase_condition(first, second, same):
    assert same_document(_with("", first), _with("", second)) is same


# -- line ends, odd input -----------------------------------------------------------------------

SIMPLE = 'orchestration "X" {\n    phase "A" {\n        task a run "a.py"  # c\n    }\n}\n'


@pytest.mark.parametrize(("source", "expected"), [
    pytest.param(SIMPLE.replace("\n", "\r\n"), SIMPLE.replace("\n", "\r\n"), id="crlf-kept"),
    pytest.param(SIMPLE.replace("\n", "\r\n").replace("    ", "  "),
                 SIMPLE.replace("\n", "\r\n"), id="crlf-reindented"),
    pytest.param(SIMPLE.rstrip("\n"), SIMPLE, id="no-final-newline"),
    pytest.param(SIMPLE + "\n\n\n", SIMPLE, id="blank-lines-at-the-end"),
    pytest.param("\n\n" + SIMPLE, SIMPLE, id="blank-lines-at-the-start"),
    pytest.param(SIMPLE.replace("\n", "   \n"), SIMPLE, id="trailing-spaces"),
    pytest.param(SIMPLE.replace("  # c", "# c"), SIMPLE, id="comment-spacing"),
    pytest.param('orchestration "X" {}', 'orchestration "X" {}\n', id="empty-orchestration"),
    pytest.param('orchestration "X" { # c\n}', 'orchestration "X" {  # c\n}\n',
                 id="orchestration-with-only-a-comment"),
])
def test_line_ends_and_edges(source, expected):
    assert fmt(source) == expected


def test_a_crlf_block_string_keeps_its_text():
    source = 'orchestration "X" {\r\n  description """\r\n    a\r\n    b\r\n  """\r\n}\r\n'
    formatted = fmt(source)
    assert formatted.count("\r\n") == formatted.count("\n")
    assert same_document(parse(source).document, parse(formatted).document)


@pytest.mark.parametrize("source", [
    'orchestration "X" {',
    'orchestration "X" { phase "A" { task a run "\\q" } }',
    'orchestration "X" { phase "A" { task run run "x" } }',
    "",
    "# only a comment\n",
])
def test_a_file_that_does_not_parse_is_refused_with_its_diagnostics(source):
    result = format_text(source, "x.orch")
    assert result.outcome is Outcome.SYNTAX_ERROR
    assert result.text is None
    assert [d.code for d in result.diagnostics] == ["E001"]


@pytest.mark.parametrize("source", [
    'orchestration "X" {phase "A" {task a run "x" #1\n#2\n}#3\n}#4\n#5',
    'orchestration\n# c\n"X"\n# d\n{\n# e\nphase\n# f\n"A"\n# g\n{\n# h\ntask\n# i\na\n# j\nrun\n# k\n'
    '"x"\n# l\ntimeout\n# m\n1s\n# n\n}\n# o\n}\n# p\n',
    'orchestration "X" { notify error, # a\n warning # b\n to "a@b.c" # c\n}',
    'orchestration "X" { phase "A" { task a run ["x", # a\n "y"] retries 1 # b\n backoff 1s } }',
    'orchestration "X" {\n\tphase "A" {\ttask a run "x"\tcontinue_on_failure}}',
])
def test_weird_input_is_formatted_once_and_for_all(source):
    once = fmt(source)
    assert fmt(once) == once
    assert same_document(parse(source).document, parse(once).document)


# -- --group-by-kind ----------------------------------------------------------------------------

UNGROUPED = """\
orchestration "Defensive" {
    param day = "today"
    # one task a phase
    phase "crm" {  # the CRM
        task crm extractor run "crm.py ${day}"
    }
    phase "load" {
        task load writer run "load.py" needs crm
    }
    phase "sheet" {
        task sheet extractor run "sheet.py"
        # closes sheet
    }
    phase "Transform" {  # kept: the name is one of the new phases
        task prep transformation run "prep.py"
    }
    phase "empty" {}
    phase "noted" {
        # a comment in an empty phase
    }
    secret TOKEN
    phase "deploy" {
        task deploy application run "deploy.py"
    }
}
"""

GROUPED = """\
orchestration "Defensive" {
    param day = "today"

    # a comment in an empty phase
    phase "Extract" {
        # one task a phase
        # the CRM
        task crm   extractor run "crm.py ${day}"
        # closes sheet
        task sheet extractor run "sheet.py"
    }

    phase "Transform" {  # kept: the name is one of the new phases
        task prep transformation run "prep.py"
    }

    phase "Write" {
        task load writer run "load.py" needs crm
    }

    phase "Apps" {
        task deploy application run "deploy.py"
    }

    secret TOKEN
}
"""


def test_group_by_kind_moves_tasks_into_etl_phases_and_keeps_every_comment():
    assert fmt(UNGROUPED, group_by_kind) == GROUPED


def test_group_by_kind_of_a_grouped_file_changes_nothing():
    assert fmt(GROUPED, group_by_kind) == GROUPED


def test_group_by_kind_answers_the_w202_and_w203_warnings(tmp_path):
    path = str(tmp_path / "x.orch")
    assert {"W202", "W203"} & {d.code for d in lint_source(UNGROUPED, path)}
    assert not {"W202", "W203"} & {d.code for d in lint_source(GROUPED, path)}


@pytest.mark.parametrize(("tasks", "messages"), [
    pytest.param('phase "A" { task a run "a.py" task b extractor run "b.py" task c call "m:f" }',
                 ['4:18 E117 task "a" has no kind, so --group-by-kind cannot place it',
                  '4:64 E117 task "c" has no kind, so --group-by-kind cannot place it'],
                 id="no-kind"),
    pytest.param('phase "A" { task a extractor run "a.py" }\n'
                 'phase "B" { task b extractor run "b.py" needs a }',
                 ['5:47 E110 task "b" needs "a", but after --group-by-kind both would be in '
                  'phase "Extract"'], id="needs-in-the-same-phase"),
    pytest.param('phase "A" { task w transformation run "w.py" }\n'
                 'phase "B" { task e extractor run "e.py" needs w }',
                 ['5:47 E110 task "e" needs "w", but after --group-by-kind "w" would be in the '
                  'later phase "Transform"'], id="needs-a-later-phase"),
])
def test_group_by_kind_refuses_and_names_the_tasks(tasks, messages):
    source = f'orchestration "X" {{\n\n\n{tasks}\n}}\n'
    result = format_text(source, "x.orch", group_by_kind)
    assert result.outcome is Outcome.REFUSED
    assert result.text is None
    assert [f"{d.span.line}:{d.span.column} {d.code} {d.message}"
            for d in result.diagnostics] == messages


@pytest.mark.parametrize(("tasks", "messages"), [
    pytest.param('phase "A" { task w writer run "w.py" task e extractor run "e.py" }\n'
                 'phase "Alert" when failed() { task page application run "page.sh" }',
                 ['5:15 E119 phase "Alert" has a condition, and --group-by-kind would change '
                  "which tasks it decides for"], id="a-phase-condition-would-decide-for-others"),
    pytest.param('phase "Extract" { task e extractor run "e.py" }\n'
                 'phase "Late" when failed(e) { task x extractor run "x.py" }',
                 ['5:14 E119 phase "Late" has a condition, and --group-by-kind would change '
                  "which tasks it decides for"], id="a-phase-condition-would-be-lost"),
    pytest.param('phase "A" { task w transformation run "w.py" }\n'
                 'phase "B" { task e extractor run "e.py" when tasks.w.outputs.n > 1 }',
                 ['5:46 E119 task "e" names "w", but after --group-by-kind "w" would be in the '
                  'later phase "Transform"'], id="a-condition-naming-a-later-task"),
    pytest.param('phase "A" { task w transformation run "w.py" }\n'
                 'phase "B" { task e extractor run "e.py" when failed(w.eu) }',
                 ['5:53 E119 task "e" names "w", but after --group-by-kind "w" would be in the '
                  'later phase "Transform"'], id="a-status-call-naming-a-later-instance"),
    pytest.param('phase "A" { task w transformation run "w.py" }\n'
                 'phase "B" { task e extractor run "e.py ${tasks.w.outputs.n}" }',
                 ['5:40 E118 task "e" reads an output of "w", but after --group-by-kind "w" '
                  'would be in the later phase "Transform"'], id="an-output-of-a-later-task"),
    pytest.param('phase "A" { task w extractor run "w.py" }\n'
                 'phase "B" { task e extractor run "e.py" matrix f from tasks.w.outputs.f }',
                 ['5:55 E120 task "e" takes its matrix from "w", but after --group-by-kind both '
                  'would be in phase "Extract"'], id="a-matrix-from-the-same-phase"),
    pytest.param('phase "Load" { task l writer run "l.py" task e extractor run "e.py" }\n'
                 'phase "Apps" { task p application run "p.sh" when failed("Load") }',
                 ['5:58 E119 a condition names phase "Load", whose tasks --group-by-kind would '
                  "change"], id="a-condition-naming-a-phase-that-changes"),
])
def test_group_by_kind_refuses_to_change_what_a_condition_means(tasks, messages):
    source = f'orchestration "X" {{\n\n\n{tasks}\n}}\n'
    result = format_text(source, "x.orch", group_by_kind)
    assert result.outcome is Outcome.REFUSED
    assert [f"{d.span.line}:{d.span.column} {d.code} {d.message}"
            for d in result.diagnostics] == messages


GROUPED_WITH_CONDITIONS = """\
orchestration "X" {
    phase "Extract" {
        task crm extractor run "crm.sh"
    }

    phase "Write" when succeeded(crm) {
        task load writer run "load.sh ${tasks.crm.outputs.file}" matrix day = ["mon", "tue"]
    }

    phase "Apps" when failed("Write") {
        task page application run "page.sh" when tasks.crm.state == "succeeded"
    }
}
"""


def test_group_by_kind_keeps_conditions_whose_phases_stay_as_they_are():
    assert fmt(GROUPED_WITH_CONDITIONS, group_by_kind) == GROUPED_WITH_CONDITIONS


def test_group_by_kind_moves_tasks_with_conditions_of_their_own():
    source = GROUPED_WITH_CONDITIONS.replace('    phase "Apps" when failed("Write") {',
                                             '    phase "Later" {')
    expected = source.replace('    phase "Later" {', '    phase "Apps" {')
    assert fmt(source, group_by_kind) == expected


def test_move_refuses_an_output_that_would_be_read_before_it_is_written():
    source = GROUPED_WITH_CONDITIONS.replace('when succeeded(crm) ', '')
    result = format_text(source, "x.orch", partial(move_task, name="load", phase_name="Extract"))
    assert result.outcome is Outcome.REFUSED
    assert [d.message for d in result.diagnostics] == [
        'task "load" reads an output of "crm", but after --move both would be in phase "Extract"']


def test_group_by_kind_keeps_an_orchestration_without_tasks():
    source = 'orchestration "X" {\n    phase "A" {}\n}\n'
    assert fmt(source, group_by_kind) == source


# -- --move TASK --to PHASE ---------------------------------------------------------------------

THREE = """\
orchestration "X" {
    phase "Extract" {
        task a extractor run "a.py"
        task b extractor run "b.py"
    }

    phase "Transform" {
        task t transformation run "t.py" needs a
    }

    # after the phases
    timeout 1h
}
"""


@pytest.mark.parametrize(("task", "phase", "expected"), [
    pytest.param("b", "Transform", THREE.replace(
        '        task b extractor run "b.py"\n', "").replace(
        'needs a\n', 'needs a\n        task b extractor run "b.py"\n'), id="to-a-phase"),
    pytest.param("b", "Extract", THREE, id="to-its-own-phase"),
    pytest.param("t", "Write \"now\"", THREE.replace(
        '\n    phase "Transform" {\n        task t transformation run "t.py" needs a\n    }\n',
        '\n    phase "Write \\"now\\"" {\n        task t transformation run "t.py" needs a\n'
        '    }\n'), id="to-a-new-phase-after-the-last-one-replacing-the-emptied-one"),
])
def test_move(task, phase, expected):
    assert fmt(THREE, partial(move_task, name=task, phase_name=phase)) == expected


@pytest.mark.parametrize(("task", "phase", "messages"), [
    pytest.param("a", "Transform", ['task "t" needs "a", but after --move both would be in '
                                    'phase "Transform"'], id="needed-task-too-late"),
    pytest.param("t", "Extract", ['task "t" needs "a", but after --move both would be in '
                                  'phase "Extract"'], id="needing-task-too-early"),
    pytest.param("a", "Later", ['task "t" needs "a", but after --move "a" would be in the '
                                'later phase "Later"'], id="needed-task-to-a-new-phase"),
])
def test_move_refuses_a_needs_that_would_point_forward(task, phase, messages):
    result = format_text(THREE, "x.orch", partial(move_task, name=task, phase_name=phase))
    assert result.outcome is Outcome.REFUSED
    assert [d.message for d in result.diagnostics] == messages


@pytest.mark.parametrize(("source", "name", "message"), [
    (THREE, "c", 'no task "c" in this file'),
    (UNGROUPED, "shet", 'no task "shet" in this file (did you mean "sheet"?)'),
])
def test_move_of_an_unknown_task_is_an_error_with_a_hint(source, name, message):
    with pytest.raises(UnknownTask) as raised:
        format_text(source, "x.orch", partial(move_task, name=name, phase_name="Extract"))
    assert str(raised.value) == message


def test_a_phase_left_empty_with_comments_stays():
    source = THREE.replace('    phase "Transform" {', '    phase "Transform" {  # keep me')
    moved = fmt(source, partial(move_task, name="t", phase_name="Extract2"))
    assert '    phase "Transform" {  # keep me\n    }\n' in moved
