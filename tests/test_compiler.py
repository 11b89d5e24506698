"""orchdsl.compiler: a checked file to a networkx.DiGraph (docs/language.md, "The compiled graph").

Barriers ``<phase>:start`` / ``<phase>:end``, ``start -> task -> end``, ``end(k) -> start(k+1)``,
a ``needs`` edge in place of the task's ``start`` edge, O(tasks) edges, nested files compiled once.
"""

from __future__ import annotations

import os
from pathlib import Path

import networkx as nx
import pytest

import orchdsl

import orchdsl.lang.loader
from orchdsl.lang import ast
from orchdsl.compiler import CompileError, compile_file, end_of, start_of, tasks_of
from orchdsl.model import JobState
from jobfiles import PY

SMALL = '''\
orchestration "Small" {
    phase "A" {
        task a1 extractor run "echo a1"
        task a2 run ["echo", "a2"] disabled
    }
    phase "B" {
        task b1 transformation call "mod.sub:fn" timeout 10m retries 2 backoff 30s
        task b2 writer run "echo b2" needs a1 continue_on_failure
    }
    phase "C" {
    }
    phase "D" {
        task d1 application orchestration "child.orch"
    }
}
'''

CHILD = '''\
orchestration "Child" {
    phase "Only" {
        task c1 run "echo child"
    }
}
'''

# (source, target, type): every edge of SMALL, no more. A phase has a start -> end edge of its
# own only where no task links its barriers (here the empty phase C).
SMALL_EDGES = {
    ("A:start", "a1", "phase"),
    ("A:start", "a2", "phase"),
    ("a1", "A:end", "phase"),
    ("a2", "A:end", "phase"),
    ("A:end", "B:start", "phase"),
    ("B:start", "b1", "phase"),
    ("b1", "B:end", "phase"),
    ("a1", "b2", "needs"),        # replaces B:start -> b2
    ("b2", "B:end", "phase"),     # b2 still ends with its own phase
    ("B:end", "C:start", "phase"),
    ("C:start", "C:end", "phase"),  # an empty phase still links its barriers
    ("C:end", "D:start", "phase"),
    ("D:start", "d1", "phase"),
    ("d1", "D:end", "phase"),
}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def small(tmp_path):
    write(tmp_path, "child.orch", CHILD)
    return compile_file(str(write(tmp_path, "small.orch", SMALL)))


def edges(graph) -> set[tuple[str, str, str]]:
    return {(s, t, d["type"]) for s, t, d in graph.edges(data=True)}


def test_nodes_are_tasks_and_two_barriers_per_phase(small):
    barriers = {f"{p}:{b}" for p in "ABCD" for b in ("start", "end")}
    assert set(small.graph.nodes) == barriers | {"a1", "a2", "b1", "b2", "d1"}
    assert tasks_of(small.graph) == ["a1", "a2", "b1", "b2", "d1"]
    assert (start_of("B"), end_of("B")) == ("B:start", "B:end")


def test_edges_exactly(small):
    assert edges(small.graph) == SMALL_EDGES
    assert small.graph.number_of_edges() == len(SMALL_EDGES)


def test_needs_replaces_the_start_edge_of_that_task_only(small):
    graph = small.graph
    assert not graph.has_edge("B:start", "b2")
    assert graph.has_edge("B:start", "b1")
    assert graph.has_edge("b2", "B:end")
    assert graph.edges["a1", "b2"]["type"] == "needs"


# A phase's own start -> end edge: only where no task links the barriers (docs/language.md, "The
# compiled graph": the edge is there where phase order would break without it).
PHASE_SHAPES = [
    # tasks of phase "B" (after phase "A" with tasks a1, a2), whether B:start -> B:end exists
    ("empty", "", True),
    ("tasks at the barrier", 'task b1 run "x"\n task b2 run "y"', False),
    ("every task by needs", 'task b1 run "x" needs a1\n task b2 run "y" needs a2', True),
    ("one task by needs, one at the barrier", 'task b1 run "x" needs a1\n task b2 run "y"', False),
    ("only disabled tasks", 'task b1 run "x" disabled', True),
    ("needs and disabled", 'task b1 run "x" needs a1\n task b2 run "y" disabled', True),
    ("disabled and at the barrier", 'task b1 run "x" disabled\n task b2 run "y"', False),
]


@pytest.mark.parametrize("tasks, has_edge", [s[1:] for s in PHASE_SHAPES],
                         ids=[s[0] for s in PHASE_SHAPES])
def test_a_phase_links_its_own_barriers_only_where_no_task_does(tmp_path, tasks, has_edge):
    text = ('orchestration "O" {\n phase "A" { task a1 run "x"\n task a2 run "y" }\n'
            f' phase "B" {{ {tasks} }}\n}}\n')
    graph = compile_file(str(write(tmp_path, "o.orch", text))).graph
    assert graph.has_edge("A:start", "A:end") is False
    assert graph.has_edge("B:start", "B:end") is has_edge
    assert nx.has_path(graph, "A:end", "B:end")  # phase B never ends before phase A


@pytest.fixture
def private_home(tmp_path, monkeypatch):
    """Jobs run by these tests go to a store of their own, wherever orchdsl.run records."""
    monkeypatch.setenv("ORCHDSL_HOME", str(tmp_path / "home"))


def test_a_phase_whose_tasks_all_start_by_needs_still_ends_after_the_phase_before(
        tmp_path, private_home):
    """Phase "Early" starts only by needs on the quick task; without its start -> end edge it
    would end at once, and "Last" would start while "First"'s slow task still runs."""
    text = f'''orchestration "O" {{
    phase "First" {{
        task slow run "{PY} -c 'import time; time.sleep(0.5)' && touch slow.done"
        task quick run "true"
    }}
    phase "Early" {{
        task early run "true" needs quick
    }}
    phase "Last" {{
        task last run "test -f slow.done"
    }}
}}
'''
    job = orchdsl.run(str(write(tmp_path, "o.orch", text)))
    assert {n: t.state.value for n, t in job.tasks.items()} == {
        "slow": "succeeded", "quick": "succeeded", "early": "succeeded", "last": "succeeded"}
    assert job.state is JobState.SUCCESS


def test_a_phase_of_disabled_tasks_still_carries_the_phase_before_it_not_passing(
        tmp_path, private_home):
    """A needs that did not succeed leaves phase "Needs" not passed; the phase of disabled
    tasks after it must not turn that into a pass for the phase after it."""
    text = '''orchestration "O" {
    phase "First"  { task x run "false" continue_on_failure }
    phase "Needs"  { task y run "true" needs x }
    phase "Off"    { task d run "true" disabled }
    phase "Last"   { task z run "true" }
}
'''
    job = orchdsl.run(str(write(tmp_path, "o.orch", text)))
    assert {n: t.state.value for n, t in job.tasks.items()} == {
        "x": "failed", "y": "skipped", "d": "disabled", "z": "skipped"}


@pytest.mark.parametrize("node, expected", [
    ("A:start", {"type": "barrier", "phase": "A", "barrier": "start", "phase_index": 0}),
    ("C:end", {"type": "barrier", "phase": "C", "barrier": "end", "phase_index": 2}),
    ("a1", {"type": "task", "phase": "A", "kind": "extractor", "action": "run",
            "command": "echo a1", "disabled": False, "timeout_s": None, "retries": 0,
            "backoff_s": 0.0, "needs": [], "line": 3, "column": 9,
            "continue_on_failure": False}),
    ("a2", {"type": "task", "kind": None, "action": "run", "argv": ["echo", "a2"],
            "disabled": True, "line": 4}),
    ("b1", {"type": "task", "phase": "B", "phase_index": 1, "kind": "transformation",
            "action": "call", "target": "mod.sub:fn", "timeout_s": 600.0, "retries": 2,
            "backoff_s": 30.0, "disabled": False, "line": 7}),
    ("b2", {"kind": "writer", "action": "run", "command": "echo b2", "needs": ["a1"],
            "continue_on_failure": True, "line": 8}),
    ("d1", {"kind": "application", "action": "orchestration", "file": "child.orch",
            "line": 13}),
])
def test_node_attributes(small, node, expected):
    data = small.graph.nodes[node]
    assert {key: data.get(key, "<missing>") for key in expected} == expected


def test_cwd_and_env_options_are_node_attributes(tmp_path):
    """docs/language.md, "The compiled graph": node attributes carry the task's options; ``cwd`` and ``env`` are options
    (3, "Task line") as much as ``timeout`` and ``retries`` are."""
    path = write(tmp_path, "x.orch", '''\
orchestration "X" {
    phase "P" {
        task t run "x" cwd "scripts" env A = "1" env B = "two"
    }
}
''')
    data = compile_file(str(path)).graph.nodes["t"]
    assert data.get("cwd") == "scripts"
    assert dict(data.get("env") or {}) == {"A": "1", "B": "two"}


def test_task_nodes_carry_plain_values_not_the_syntax_tree(small):
    """The plan is what runs (orchdsl.planning); the graph is for drawing and json."""
    import json

    data = small.graph.nodes["b1"]
    assert not any(isinstance(v, ast.Node) for v in data.values())
    assert json.loads(json.dumps(data)) == data
    assert (data["line"], data["target"], data["timeout_s"]) == (7, "mod.sub:fn", 600.0)


def test_disabled_task_stays_in_the_graph_wired_like_any_other(small):
    graph = small.graph
    assert graph.nodes["a2"]["disabled"] is True
    assert set(graph.predecessors("a2")) == {"A:start"}
    assert set(graph.successors("a2")) == {"A:end"}


def test_nested_orchestration_is_one_node_linking_to_its_graph(small, tmp_path):
    assert "c1" not in small.graph
    key = os.path.realpath(tmp_path / "child.orch")
    assert list(small.children) == [key]
    child = small.children[key]
    assert child.orchestration.name.value == "Child"
    assert set(child.graph.nodes) == {"Only:start", "Only:end", "c1"}
    # nested_file is relative to the folder of the file that names it (docs: graph JSON)
    assert os.path.realpath(tmp_path / small.graph.nodes["d1"]["nested_file"]) == key


def test_graph_is_acyclic_and_named(small):
    assert nx.is_directed_acyclic_graph(small.graph)
    assert small.graph.graph["name"] == "Small"


def test_a_phase_whose_tasks_all_start_early_still_follows_the_phase_before(tmp_path):
    path = write(tmp_path, "x.orch", '''\
orchestration "X" {
    phase "A" { task a run "a" }
    phase "B" { task b run "b" }
    phase "C" { task c run "c" needs a }
    phase "D" { task d run "d" }
}
''')
    graph = compile_file(str(path)).graph
    assert not graph.has_edge("C:start", "c")
    assert graph.has_edge("C:start", "C:end")
    # d waits for b through the barriers although c skipped them
    assert nx.has_path(graph, "b", "d")
    assert nx.has_path(graph, "c", "d")
    assert not nx.has_path(graph, "b", "c")


def generated(phases: int, per_phase: int) -> str:
    """A file of phases*per_phase tasks; two of three tasks need one or two earlier tasks."""
    lines = ['orchestration "Big" {']
    for p in range(phases):
        lines.append(f'    phase "P{p}" {{')
        for i in range(per_phase):
            needs = ""
            if p > 0 and i % 3:
                named = [f"t{p - 1 - j % p}_{(i + 7 * j) % per_phase}" for j in range(i % 3)]
                needs = " needs " + ", ".join(named)
            lines.append(f'        task t{p}_{i} run "echo {p} {i}"{needs}')
        lines.append("    }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def test_edges_stay_linear_in_the_tasks(tmp_path):
    phases, per_phase = 20, 100
    graph = compile_file(str(write(tmp_path, "big.orch", generated(phases, per_phase)))).graph
    tasks = phases * per_phase
    assert len(tasks_of(graph)) == tasks
    assert graph.number_of_nodes() == tasks + 2 * phases
    assert graph.number_of_edges() <= 3 * tasks + 3 * phases
    needs_edges = sum(d["type"] == "needs" for _, _, d in graph.edges(data=True))
    assert needs_edges == sum(i % 3 for i in range(per_phase)) * (phases - 1)


def test_one_big_phase_has_no_quadratic_edges(tmp_path):
    text = 'orchestration "Wide" {\n    phase "P" {\n' + "".join(
        f'        task t{i} run "x"\n' for i in range(2000)) + "    }\n}\n"
    graph = compile_file(str(write(tmp_path, "wide.orch", text))).graph
    assert graph.number_of_edges() == 2 * 2000  # start -> task -> end, no start -> end


@pytest.fixture
def parse_counter(monkeypatch):
    """Counts how often each file is parsed (by the name it was parsed under)."""
    counts: dict[str, int] = {}
    real = orchdsl.lang.loader.parse

    def counting(text, path, *args, **kwargs):
        key = os.path.realpath(path)
        counts[key] = counts.get(key, 0) + 1
        return real(text, path, *args, **kwargs)

    monkeypatch.setattr(orchdsl.lang.loader, "parse", counting)
    return counts


def test_nested_file_is_parsed_and_compiled_once(tmp_path, parse_counter):
    write(tmp_path, "shared/common.orch", CHILD)
    write(tmp_path, "sub/mid.orch", '''\
orchestration "Mid" {
    phase "M" {
        task common_again orchestration "../shared/common.orch"
    }
}
''')
    root = write(tmp_path, "root.orch", '''\
orchestration "Root" {
    phase "One" {
        task first orchestration "shared/common.orch"
        task second orchestration "./shared/../shared/common.orch"
    }
    phase "Two" {
        task mid orchestration "sub/mid.orch"
    }
}
''')
    compiled = compile_file(str(root))
    common = os.path.realpath(tmp_path / "shared/common.orch")
    mid = os.path.realpath(tmp_path / "sub/mid.orch")
    assert parse_counter == {os.path.realpath(root): 1, common: 1, mid: 1}
    assert set(compiled.children) == {common, mid}
    assert compiled.children[mid].children[common] is compiled.children[common]
    assert compiled.graph.nodes["first"]["nested_file"] == compiled.graph.nodes["second"]["nested_file"]


@pytest.mark.parametrize("files, chain", [
    ({"a.orch": "b.orch", "b.orch": "a.orch"}, "a.orch -> b.orch -> a.orch"),
    ({"a.orch": "a.orch"}, "a.orch -> a.orch"),
    ({"a.orch": "sub/b.orch", "sub/b.orch": "c.orch", "sub/c.orch": "../a.orch"},
     "a.orch -> sub/b.orch -> sub/c.orch -> a.orch"),
])
def test_nested_cycle_is_an_error_naming_the_chain(tmp_path, monkeypatch, files, chain):
    monkeypatch.chdir(tmp_path)
    for name, target in files.items():
        write(tmp_path, name, f'''\
orchestration "{name}" {{
    phase "P" {{
        task next orchestration "{target}"
    }}
}}
''')
    with pytest.raises(CompileError) as caught:
        compile_file("a.orch")
    cycles = [d for d in caught.value.diagnostics if d.code == "E109"]
    assert cycles, caught.value.diagnostics
    assert chain in cycles[0].message
    assert (cycles[0].span.path, cycles[0].span.line) == ("a.orch", 3)


def test_a_cycle_below_the_file_is_reported_at_its_task(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, target in {"root.orch": "a.orch", "a.orch": "b.orch", "b.orch": "a.orch"}.items():
        write(tmp_path, name, f'orchestration "{name}" {{\n    phase "P" {{\n'
                              f'        task next orchestration "{target}"\n    }}\n}}\n')
    with pytest.raises(CompileError) as caught:
        compile_file("root.orch")
    (cycle,) = [d for d in caught.value.diagnostics if d.code == "E109"]
    assert cycle.message == ("nested orchestrations form a cycle: "
                             "root.orch -> a.orch -> b.orch -> a.orch")
    assert (cycle.span.path, cycle.span.line, cycle.span.column) == ("root.orch", 3, 33)


def test_missing_nested_file_is_an_error(tmp_path):
    path = write(tmp_path, "x.orch", '''\
orchestration "X" {
    phase "P" { task n orchestration "nowhere.orch" }
}
''')
    with pytest.raises(CompileError) as caught:
        compile_file(str(path))
    assert [d.code for d in caught.value.diagnostics] == ["E108"]


def test_an_error_in_a_nested_file_stops_the_compile(tmp_path):
    write(tmp_path, "child.orch", 'orchestration "C" { phase "P" { task t ru "x" } }\n')
    path = write(tmp_path, "x.orch", 'orchestration "X" { phase "P" { task n orchestration "child.orch" } }\n')
    with pytest.raises(CompileError) as caught:
        compile_file(str(path))
    # Reported at the task that names the child (E108), quoting the child's first error, as
    # `orchdsl lint x.orch` reports it.
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.code == "E108" and diagnostic.span.path.endswith("x.orch")
    assert "child.orch:1:" in diagnostic.message and "has 1 error" in diagnostic.message


def test_warnings_do_not_stop_the_compile(small):
    # SMALL has a disabled task (W205) and an empty phase (W201)
    assert small.graph.nodes["a2"]["disabled"] is True
    assert "C:start" in small.graph
