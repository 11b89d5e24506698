"""orchdsl.lang.recovery: one parse reports every syntax error of a file, each at its own place,
and none that an earlier error caused (issue 13, item 28). Rows: a file, then the (line,
column) of every error reported."""

from __future__ import annotations

import pytest

from orchdsl.lang.parser import parse


def orch(body: str) -> str:
    return 'orchestration "O" {\n' + body + "}\n"


def phase(tasks: str, name: str = "Extract") -> str:
    return f'    phase "{name}" {{\n' + tasks + "    }\n"


# id, input, the (line, column) of each error, in order
CASES = [
    ("two misspelt task keywords", orch(phase('        tsk a run "x"\n        tsk b run "y"\n')),
     [(3, 9), (4, 9)]),
    ("errors in a clause, a task and an option",
     orch('    param n = 5\n' + phase('        tsk a run "x"\n        task b run "y"\n'
                                      '        task c run "z" timeout "10m"\n')),
     [(2, 15), (4, 9), (6, 32)]),
    ("a misspelt option, then a good task, then another misspelt option",
     orch(phase('        task a run "x" timout 2m\n        task b run "y"\n'
                '        task c run "z" retires 2\n')),
     [(3, 24), (5, 24)]),
    ("two errors on one line, apart", orch(phase('        task a extracter run "x" timout 2m\n')),
     [(3, 16), (3, 34)]),
    ("needs in brackets does not make its names errors",
     orch(phase('        task a run "x" needs [a, b]\n        task c run "y" timout 4\n')),
     [(3, 30), (4, 24)]),
    ("needs in quotes: the next task is a task, not a name",
     orch(phase('        task a run "x" needs "a"\n        task c run "y"\n')), [(3, 30)]),
    ("a // comment and a single-quoted string",
     orch("    // first\n    description 'x'\n" + phase('        task a run "x"\n')),
     [(2, 5), (3, 17)]),
    ("a missing } is one error, not one per following line",
     orch('    phase "A" {\n        task a run "x"\n' + phase('        task b run "y"\n', "B")
          + phase('        task c run "z"\n', "C")), [(2, 15)]),
    ("an error, then the end of the file inside a phase",
     'orchestration "O" {\n    phase "A" {\n        tsk a run "x"\n        task b run "y"\n',
     [(3, 9), (4, 23)]),
    ("an error that runs to the end of the file is reported once",
     'orchestration "O" {\n    phase "A" {\n        task a run "x" needs\n', [(3, 29)]),
    ("an unclosed string, then a later error",
     orch(phase('        task a run "unclosed\n        tsk b run "y"\n')), [(3, 20), (4, 9)]),
    ("a misspelt call with arguments is one error", orch(phase(
        '        task a run "x" when succeded(a, b) and failed(c)\n        task c run "y"\n')),
     [(3, 29)]),
    ("a condition left empty, then a good task", orch(phase(
        '        task a run "x" when\n        task b run "y" when params.x == "1"\n')), [(4, 9)]),
    ("a phase's when without a condition keeps its tasks",
     orch('    phase "P" when {\n        task a run "x"\n        tsk b run "y"\n    }\n'),
     [(2, 20), (4, 9)]),
    ("a chained comparison, then a bad reference later",
     orch(phase('        task a run "x" when params.a < params.b < params.c\n'
                '        task b run "y" when param.day == "x"\n')), [(3, 49), (4, 29)]),
    ("junk after the end", orch(phase('        task a run "x"\n')) + "junk\n}\n", [(6, 1)]),
    ("a file whose head is broken has one error, not one a line",
     'orchestraton "O" {\n    timeout 1h\n' + phase('        task a run "x"\n') + "}\n", [(1, 1)]),
    ("an early } ends the file once, not once per clause after it",
     orch(phase('        task a run "x"\n') + "}\n" + phase('        task b run "y"\n', "B")),
     [(6, 5)]),
    ("a task among the clauses is dropped with its options, which are no clauses",
     orch('    task a run "x"\n        timeout 10m\n        retries 2\n'
          + phase('        tsk b run "y"\n')), [(2, 5), (6, 9)]),
    ("a clause written where a phase's } belongs, and the } after all",
     orch(phase('        task a run "x"\n    notify error to "a@example.com"\n'
                '        task b run "y"\n') + phase('        task c run "z"\n', "Later")),
     [(2, 21), (5, 9)]),
    ("a reserved name and a grammar error are both reported",
     orch(phase('        task phase run "x"\n        tsk b run "y"\n')), [(3, 14), (4, 9)]),
]


@pytest.mark.parametrize("text, positions", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_error_at_its_own_place_and_no_echo(text, positions):
    result = parse(text, "bad.orch")
    assert [(d.span.line, d.span.column) for d in result.diagnostics] == positions, [
        d.message for d in result.diagnostics]
    assert {d.code for d in result.diagnostics} == {"E001"}
    assert result.document.orchestration is None


def test_at_most_max_errors_are_reported():
    from orchdsl.lang.recovery import MAX_ERRORS

    text = orch(phase("".join(f'        tsk t{n} run "x"\n' for n in range(3 * MAX_ERRORS))))
    lines = [d.span.line for d in parse(text, "bad.orch").diagnostics]
    assert lines == list(range(3, 3 + MAX_ERRORS))


def test_lint_shows_each_error_with_its_line_and_caret(orchdsl, write_orch):
    path = write_orch(orch('    param n = 5\n' + phase('        tsk a run "x"\n')), "two.orch")
    done = orchdsl("lint", path.name, cwd=path.parent)
    assert (done.code, done.stdout) == (1, """\
two.orch:2:15: error[E001]: expected a string after "=", found the number 5
 2 |     param n = 5
   |               ^
  help: strings are written in double quotes: "5"
two.orch:4:9: error[E001]: expected a task or "}" after phase "Extract", found "tsk"
 4 |         tsk a run "x"
   |         ^^^
  help: did you mean "task"?
""")
