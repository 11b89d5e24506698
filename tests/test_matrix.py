"""orchdsl.lang.matrix: instance names and the order of combinations (docs/reference.md,
"Matrix"; docs/language.md, "Matrix instances")."""

from __future__ import annotations

import pytest

from orchdsl.lang import matrix
from orchdsl.lang.matrix import Instance, TooManyInstances
from orchdsl.lang.parser import parse

# task, clauses, [(name, values)] in order
INSTANCES = [
    ("one clause", "load", [("r", ["eu", "us"])],
     [("load.eu", (("r", "eu"),)), ("load.us", (("r", "us"),))]),
    ("the first clause varies slowest", "regions", [("region", ["eu", "us"]), ("tier", ["gold", "silver"])],
     [("regions.eu.gold", (("region", "eu"), ("tier", "gold"))),
      ("regions.eu.silver", (("region", "eu"), ("tier", "silver"))),
      ("regions.us.gold", (("region", "us"), ("tier", "gold"))),
      ("regions.us.silver", (("region", "us"), ("tier", "silver")))]),
    ("digits, - and _ are name characters", "t", [("v", ["2024-01-31", "a_b", "007"])],
     [("t.2024-01-31", (("v", "2024-01-31"),)), ("t.a_b", (("v", "a_b"),)),
      ("t.007", (("v", "007"),))]),
    ("a value that is no name part: that instance by its index", "load",
     [("file", ["a.csv", "b", "c d"])],
     [("load.1", (("file", "a.csv"),)), ("load.b", (("file", "b"),)), ("load.3", (("file", "c d"),))]),
    ("one such value makes the whole combination indexed", "t", [("a", ["x", "y"]), ("b", ["1", "é"])],
     [("t.x.1", (("a", "x"), ("b", "1"))), ("t.2", (("a", "x"), ("b", "é"))),
      ("t.y.1", (("a", "y"), ("b", "1"))), ("t.4", (("a", "y"), ("b", "é")))]),
    ("names that would repeat: every instance by its index", "t", [("v", ["2", "a b"])],
     [("t.1", (("v", "2"),)), ("t.2", (("v", "a b"),))]),
    ("a value twice (a dynamic matrix's line): every instance by its index", "t",
     [("v", ["eu", "eu"])], [("t.1", (("v", "eu"),)), ("t.2", (("v", "eu"),))]),
    ("an empty value", "t", [("v", [""])], [("t.1", (("v", ""),))]),
    ("an empty list: no instance", "t", [("a", ["x"]), ("b", [])], []),
    ("no clause: no instance", "t", [], []),
]


@pytest.mark.parametrize("task, clauses, expected", [c[1:] for c in INSTANCES],
                         ids=[c[0] for c in INSTANCES])
def test_instances(task, clauses, expected):
    found = matrix.instances(task, clauses)
    assert [(i.name, i.values) for i in found] == expected
    assert [i.index for i in found] == list(range(1, len(expected) + 1))
    assert matrix.count(clauses) == len(expected)


def test_an_instance_gives_each_matrix_its_value():
    (first, *_) = matrix.instances("regions", [("region", ["eu"]), ("tier", ["gold"])])
    assert first == Instance("regions.eu.gold", (("region", "eu"), ("tier", "gold")), 1)
    assert (first.value("region"), first.value("tier")) == ("eu", "gold")


@pytest.mark.parametrize("sizes, allowed", [((10_000,), True), ((100, 100), True),
                                             ((10_001,), False), ((101, 100), False),
                                             ((1_000, 1_000, 1_000), False)])
def test_at_most_ten_thousand_instances(sizes, allowed):
    clauses = [(f"m{n}", [str(v) for v in range(size)]) for n, size in enumerate(sizes)]
    total = 1
    for size in sizes:
        total *= size
    if allowed:
        assert len(matrix.instances("t", clauses)) == total
    else:
        with pytest.raises(TooManyInstances) as raised:
            matrix.instances("t", clauses)
        assert raised.value.count == total
        assert f"{total:,} matrix instances" in str(raised.value)


# An output's text -> the values a dynamic matrix takes from it
LINES = [
    ("a.csv\nb.csv\n", ["a.csv", "b.csv"]),
    ("a.csv\r\nb.csv\r\n", ["a.csv", "b.csv"]),
    ("\n\na\n  \n\tb c \n", ["a", "\tb c "]),
    ("", []),
    ("\n \n", []),
]


@pytest.mark.parametrize("output, values", LINES)
def test_lines_of_an_output(output, values):
    assert matrix.lines(output) == values


def tasks_of(text: str) -> dict:
    result = parse('orchestration "O" {\n    phase "A" { task src run "x" }\n'
                   '    phase "B" {\n' + text + "    }\n}\n", "m.orch")
    assert not result.diagnostics
    return {t.name.text: t for t in result.document.orchestration.tasks}


def test_static_instances_of_a_task():
    tasks = tasks_of('        task p run "x" matrix r = ["eu", "us"] matrix t = ["1"]\n'
                     '        task d run "x" matrix f from tasks.src.outputs.files\n'
                     '        task mixed run "x" matrix r = ["eu"] matrix f from tasks.src.outputs.f\n'
                     '        task plain run "x"\n')
    assert [i.name for i in matrix.static_instances(tasks["p"])] == ["p.eu.1", "p.us.1"]
    assert matrix.static_clauses(tasks["p"]) == [("r", ["eu", "us"]), ("t", ["1"])]
    for name in ("d", "mixed", "plain"):
        assert matrix.static_instances(tasks[name]) is None
    assert matrix.static_clauses(tasks["d"]) is None
    assert matrix.static_clauses(tasks["plain"]) == []


def test_task_clauses_read_a_dynamic_source_from_its_output():
    task = tasks_of('        task mixed run "x" matrix r = ["eu", "us"] '
                    'matrix f from tasks.src.outputs.files\n')["mixed"]
    asked = []

    def output(reference):
        asked.append(reference.text)
        return "a.csv\nb.csv\n"

    clauses = matrix.task_clauses(task, output)
    assert clauses == [("r", ["eu", "us"]), ("f", ["a.csv", "b.csv"])]
    assert asked == ["tasks.src.outputs.files"]
    assert [i.name for i in matrix.instances("mixed", clauses)] == [
        "mixed.1", "mixed.2", "mixed.3", "mixed.4"]
