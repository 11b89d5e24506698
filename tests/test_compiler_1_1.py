"""orchdsl.compiler and language 1.1 (docs/language.md, "The compiled graph"): conditions on
nodes, a static matrix's instances as nodes, a dynamic matrix as one marked node, needs of a
matrix task from every instance, O(tasks) edges."""

from __future__ import annotations

import time
from pathlib import Path

import networkx as nx
import pytest

from orchdsl.compiler import compile_file, tasks_of

FILE = '''\
orchestration "M" {
    phase "List" {
        task files extractor run "ls"
    }
    phase "Load" when params.go == "yes" {
        task regions writer run "p ${region} ${tier}"
            matrix region = ["eu", "us"]
            matrix tier = ["gold", "silver"]
        task load writer run "l ${file}" matrix file from tasks.files.outputs.all
        task plain writer run "x" when tasks.files.outputs.all != ""
    }
    phase "Report" {
        task one application run "r" needs regions, load
        task each application run "e ${x}" needs regions matrix x = ["a", "b c"]
    }
    param go = "yes"
}
'''
REGIONS = ["regions.eu.gold", "regions.eu.silver", "regions.us.gold", "regions.us.silver"]


@pytest.fixture
def graph(tmp_path) -> nx.DiGraph:
    path = tmp_path / "m.orch"
    path.write_text(FILE, encoding="utf-8")
    return compile_file(str(path)).graph


def test_a_static_matrix_is_one_node_per_instance_in_file_order(graph):
    assert tasks_of(graph) == ["files", *REGIONS, "load", "plain", "one", "each.a", "each.2"]
    assert "regions" not in graph
    assert graph.nodes["regions.us.gold"]["instance_of"] == "regions"
    assert graph.nodes["regions.us.gold"]["matrix"] == {"region": "us", "tier": "gold"}
    assert graph.nodes["each.2"]["matrix"] == {"x": "b c"}
    assert graph.nodes["regions.us.gold"]["command"] == "p ${region} ${tier}"  # as written


def test_a_dynamic_matrix_is_one_node_marked_with_its_source(graph):
    data = graph.nodes["load"]
    assert data["matrix"] == "dynamic"
    assert data["matrix_clauses"] == [{"name": "file", "from": "tasks.files.outputs.all"}]
    assert "instance_of" not in data
    assert "matrix" not in graph.nodes["plain"]


def test_conditions_are_on_tasks_and_on_both_barriers_of_their_phase(graph):
    assert graph.nodes["plain"]["when"] == 'tasks.files.outputs.all != ""'
    assert graph.nodes["one"]["when"] is None
    assert graph.nodes["Load:start"]["when"] == graph.nodes["Load:end"]["when"] == \
        'params.go == "yes"'
    assert graph.nodes["List:start"]["when"] is None


def test_every_instance_sits_between_its_phase_barriers(graph):
    for name in REGIONS:
        assert set(graph.predecessors(name)) == {"Load:start"}
        assert set(graph.successors(name)) == {"Load:end", "one", "regions:instances"}


def test_needs_of_a_matrix_task_is_an_edge_from_every_instance(graph):
    assert {s for s, _, d in graph.in_edges("one", data=True) if d["type"] == "needs"} == {
        *REGIONS, "load"}


def test_needs_between_two_matrix_tasks_goes_through_one_join_node(graph):
    join = graph.nodes["regions:instances"]
    assert join == {"type": "barrier", "phase": "Load", "phase_index": 1,
                    "barrier": "instances", "when": None}
    assert set(graph.predecessors("regions:instances")) == set(REGIONS)
    for name in ("each.a", "each.2"):
        assert set(graph.predecessors(name)) == {"regions:instances"}
    assert nx.is_directed_acyclic_graph(graph)


def big(tmp_path: Path, size: int) -> str:
    values = ", ".join(f'"v{i}"' for i in range(size))
    text = (f'orchestration "Big" {{\n    phase "A" {{\n        task a run "a ${{x}}" matrix x = [{values}]\n'
            f'    }}\n    phase "B" {{\n        task b run "b ${{y}}" needs a matrix y = [{values}]\n'
            f'        task c run "c" needs a\n    }}\n}}\n')
    path = tmp_path / "big.orch"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.slow  # seconds of real work: the full suite's
def test_ten_thousand_instances_needing_ten_thousand_keep_edges_linear(tmp_path):
    started = time.perf_counter()
    graph = compile_file(big(tmp_path, 10_000)).graph
    elapsed = time.perf_counter() - started
    assert len(tasks_of(graph)) == 20_001
    # a -> end and start -> a (2n), b's end edges and needs from the join (2n), the join's
    # inputs (n), c's needs (n) and edges of c, the barriers: never n * n
    assert graph.number_of_edges() < 7 * 10_000
    assert elapsed < 10, f"{elapsed:.1f}s"  # in fact well under a second; the machine is shared
