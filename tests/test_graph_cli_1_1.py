"""``orchdsl graph`` of language 1.1, through the installed command (docs/language.md, "The
compiled graph"): phase and task conditions in every format, a static matrix's instances as
nodes with their values, a dynamic matrix as one node marked ``matrix: dynamic`` with its
source, ``needs`` of a matrix task from every instance, and the json attributes ``when``,
``instance_of`` and ``matrix``."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import networkx as nx
import pytest

SALES = '''\
orchestration "Sales" {
    secret TOKEN

    phase "List" {
        task files extractor run "ls"
    }

    phase "Load" when params.go == "yes" {
        task load    writer run "l ${file}" matrix file from tasks.files.outputs.all
        task regions writer run "p ${region}" matrix region = ["eu", "a b"]
        task check   writer run "c" when tasks.files.outputs.all != "" on "gpu"
    }

    phase "Report" {
        task one  application run "r" needs regions
        task each application run "e ${x}" needs regions matrix x = ["p", "q"]
    }

    phase "Alert" when failed() {
        task page application run "page.sh"
    }

    param go = "yes"
}
'''

SALES_ASCII = '''\
Sales (sales.orch)

[1] List
 |   files       extractor
 v
[2] Load  when params.go == "yes"
 |   load        writer  matrix: dynamic, file from tasks.files.outputs.all
 |   regions.eu  writer  [region=eu]
 |   regions.2   writer  [region="a b"]
 |   check       writer  when tasks.files.outputs.all != ""
 v
[3] Report
 |   one         application  <- needs regions (Load)
 |   each.p      application  [x=p]  <- needs regions (Load)
 |   each.q      application  [x=q]  <- needs regions (Load)
 v
[4] Alert  when failed()
     page        application
'''

SALES_MERMAID = '''\
flowchart LR
    subgraph p0["1. List"]
        direction TB
        t0[("files<br/><small>extractor</small>")]
    end
    subgraph p1["2. Load (when params.go == #quot;yes#quot;)"]
        direction TB
        t1[/"load<br/><small>writer<br/>matrix: dynamic, file from tasks.files.outputs.all</small>"/]
        t2[/"regions.eu<br/><small>writer<br/>region=eu</small>"/]
        t3[/"regions.2<br/><small>writer<br/>region=#quot;a b#quot;</small>"/]
        t4[/"check<br/><small>writer<br/>when tasks.files.outputs.all != #quot;#quot;</small>"/]
        j0(("regions: every instance"))
    end
    subgraph p2["3. Report"]
        direction TB
        t5[["one<br/><small>application</small>"]]
        t6[["each.p<br/><small>application<br/>x=p</small>"]]
        t7[["each.q<br/><small>application<br/>x=q</small>"]]
    end
    subgraph p3["4. Alert (when failed())"]
        direction TB
        t8[["page<br/><small>application</small>"]]
    end
    p0 --> p1
    p1 --> p2
    p2 --> p3
    t2 -. needs .-> t5
    t2 -. needs .-> j0
    t3 -. needs .-> t5
    t3 -. needs .-> j0
    j0 -. needs .-> t6
    j0 -. needs .-> t7
    classDef extractor fill:#cfe2ff,stroke:#495057
    classDef transformation fill:#fff3cd,stroke:#495057
    classDef writer fill:#d1e7dd,stroke:#495057
    classDef application fill:#e2d9f3,stroke:#495057
    classDef plain fill:#f8f9fa,stroke:#495057
    classDef disabled fill:#eeeeee,color:#888888,stroke-dasharray:4 3
    class t0 extractor
    class t1 writer
    class t2 writer
    class t3 writer
    class t4 writer
    class t5 application
    class t6 application
    class t7 application
    class t8 application
'''

SALES_DOT = '''\
digraph "Sales" {
    rankdir=LR;
    compound=true;
    node [fontname="Helvetica", fontsize=11, style=filled];
    edge [color="#6c757d"];
    label="Sales";
    labelloc=t;
    subgraph cluster_0 {
        label="1. List";
        style="rounded,dashed"; color="#adb5bd";
        "List:start" [shape=point, width=0.08, label=""];
        "List:end" [shape=point, width=0.08, label=""];
        "files" [label="files\\nextractor", shape=cylinder, fillcolor="#cfe2ff"];
    }
    subgraph cluster_1 {
        label="2. Load\\nwhen params.go == \\"yes\\"";
        style="rounded,dashed"; color="#adb5bd";
        "Load:start" [shape=point, width=0.08, label=""];
        "Load:end" [shape=point, width=0.08, label=""];
        "regions:instances" [shape=point, width=0.08, label=""];
        "load" [label="load\\nwriter\\nmatrix: dynamic, file from tasks.files.outputs.all", shape=folder, fillcolor="#d1e7dd"];
        "regions.eu" [label="regions.eu\\nwriter\\nregion=eu", shape=folder, fillcolor="#d1e7dd"];
        "regions.2" [label="regions.2\\nwriter\\nregion=\\"a b\\"", shape=folder, fillcolor="#d1e7dd"];
        "check" [label="check\\nwriter\\nwhen tasks.files.outputs.all != \\"\\"", shape=folder, fillcolor="#d1e7dd"];
        {rank=same; "load"; "regions.eu"; "regions.2"; "check"}
        "check" -> "regions.2" -> "regions.eu" -> "load" [style=invis];  // file order, top to bottom
    }
    subgraph cluster_2 {
        label="3. Report";
        style="rounded,dashed"; color="#adb5bd";
        "Report:start" [shape=point, width=0.08, label=""];
        "Report:end" [shape=point, width=0.08, label=""];
        "one" [label="one\\napplication", shape=component, fillcolor="#e2d9f3"];
        "each.p" [label="each.p\\napplication\\nx=p", shape=component, fillcolor="#e2d9f3"];
        "each.q" [label="each.q\\napplication\\nx=q", shape=component, fillcolor="#e2d9f3"];
        {rank=same; "one"; "each.p"; "each.q"}
        "each.q" -> "each.p" -> "one" [style=invis];  // file order, top to bottom
    }
    subgraph cluster_3 {
        label="4. Alert\\nwhen failed()";
        style="rounded,dashed"; color="#adb5bd";
        "Alert:start" [shape=point, width=0.08, label=""];
        "Alert:end" [shape=point, width=0.08, label=""];
        "page" [label="page\\napplication", shape=component, fillcolor="#e2d9f3"];
    }
    "List:start" -> "files";
    "List:end" -> "Load:start";
    "files" -> "List:end";
    "Load:start" -> "load";
    "Load:start" -> "regions.eu";
    "Load:start" -> "regions.2";
    "Load:start" -> "check";
    "Load:end" -> "Report:start";
    "load" -> "Load:end";
    "regions.eu" -> "Load:end";
    "regions.eu" -> "one" [style=dashed, color="#d63384", label="needs", fontsize=9, fontcolor="#d63384", constraint=false];
    "regions.eu" -> "regions:instances" [style=dashed, color="#d63384", label="needs", fontsize=9, fontcolor="#d63384", constraint=false];
    "regions.2" -> "Load:end";
    "regions.2" -> "one" [style=dashed, color="#d63384", label="needs", fontsize=9, fontcolor="#d63384", constraint=false];
    "regions.2" -> "regions:instances" [style=dashed, color="#d63384", label="needs", fontsize=9, fontcolor="#d63384", constraint=false];
    "check" -> "Load:end";
    "Report:start" -> "Report:end";
    "Report:end" -> "Alert:start";
    "one" -> "Report:end";
    "each.p" -> "Report:end";
    "each.q" -> "Report:end";
    "Alert:start" -> "page";
    "page" -> "Alert:end";
    "regions:instances" -> "each.p" [style=dashed, color="#d63384", label="needs", fontsize=9, fontcolor="#d63384", constraint=false];
    "regions:instances" -> "each.q" [style=dashed, color="#d63384", label="needs", fontsize=9, fontcolor="#d63384", constraint=false];
}
'''

DOT = shutil.which("dot") or "/usr/bin/dot"


@pytest.fixture
def sales(tmp_path):
    (tmp_path / "sales.orch").write_text(SALES, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("fmt, expected", [("ascii", SALES_ASCII), ("mermaid", SALES_MERMAID),
                                           ("dot", SALES_DOT)])
def test_each_drawing_exactly(orchdsl, sales, fmt, expected):
    assert orchdsl("graph", "sales.orch", "--format", fmt, cwd=sales) == (0, expected, "")


def json_graph(orchdsl, folder) -> dict:
    result = orchdsl("graph", "sales.orch", "--format", "json", cwd=folder)
    assert (result.code, result.stderr) == (0, "")
    return json.loads(result.stdout)


def test_json_nodes_carry_conditions_instances_and_matrices(orchdsl, sales):
    data = json_graph(orchdsl, sales)
    nodes = {n["id"]: n for n in data["nodes"]}
    assert {n["id"] for n in data["nodes"] if n["type"] == "task"} == {
        "files", "load", "regions.eu", "regions.2", "check", "one", "each.p", "each.q", "page"}
    for node in nodes.values():  # the keys every consumer may rely on
        assert {"id", "type", "phase", "when"} <= set(node)
        if node["type"] == "task":
            assert {"kind", "action", "disabled"} <= set(node)
    assert {k: nodes["regions.2"][k] for k in ("instance_of", "matrix", "phase", "when")} == {
        "instance_of": "regions", "matrix": {"region": "a b"}, "phase": "Load", "when": None}
    assert {k: nodes["load"][k] for k in ("matrix", "matrix_clauses")} == {
        "matrix": "dynamic", "matrix_clauses": [{"name": "file", "from": "tasks.files.outputs.all"}]}
    assert (nodes["check"]["when"], nodes["check"]["on"]) == ('tasks.files.outputs.all != ""', "gpu")
    assert "instance_of" not in nodes["check"] and "matrix" not in nodes["check"]
    assert [nodes[f"{p}:{b}"]["when"] for p in ("Load", "Alert") for b in ("start", "end")] == [
        'params.go == "yes"'] * 2 + ["failed()"] * 2
    assert nodes["regions:instances"] == {"id": "regions:instances", "type": "barrier",
                                          "phase": "Load", "phase_index": 1,
                                          "barrier": "instances", "when": None}


def test_json_needs_of_a_matrix_task_start_at_every_instance(orchdsl, sales):
    data = json_graph(orchdsl, sales)
    needs = {(e["source"], e["target"]) for e in data["edges"] if e["type"] == "needs"}
    assert needs == {("regions.eu", "one"), ("regions.2", "one"),
                     ("regions.eu", "regions:instances"), ("regions.2", "regions:instances"),
                     ("regions:instances", "each.p"), ("regions:instances", "each.q")}
    assert {e["type"] for e in data["edges"]} == {"phase", "needs"}
    assert nx.is_directed_acyclic_graph(nx.node_link_graph(data, edges="edges"))


def test_dot_draws_exactly_the_edges_of_the_json_graph(orchdsl, sales):
    data = json_graph(orchdsl, sales)
    drawn = set(re.findall(r'^    "((?:[^"\\]|\\.)*)" -> "((?:[^"\\]|\\.)*)"', SALES_DOT, re.M))
    assert drawn == {(e["source"], e["target"]) for e in data["edges"]}


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_graphviz_draws_it(orchdsl, sales, fmt):
    result = orchdsl("graph", "sales.orch", "-o", f"sales.{fmt}", cwd=sales)
    assert result == (0, "", "")
    assert (sales / f"sales.{fmt}").stat().st_size > 1000
    if fmt == "svg":
        svg = (sales / "sales.svg").read_text()
        for shown in ("when failed()", "regions.2", 'region="a b"',
                      "matrix: dynamic, file from tasks.files.outputs.all"):
            assert shown.replace('"', "&quot;") in svg or shown in svg, shown


def test_graphviz_accepts_the_dot_text():
    done = subprocess.run([DOT, "-Tsvg"], input=SALES_DOT.encode(), capture_output=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr.decode()


def _values(count: int) -> str:
    return ", ".join(f'"v{i}"' for i in range(count))


def test_too_many_instances_stop_the_graph_even_when_the_lint_finding_is_silenced(orchdsl,
                                                                                 tmp_path):
    (tmp_path / "big.orch").write_text(
        'orchestration "O" {\n    phase "A" {\n        task b run "y ${x}${y}" '
        f"matrix x = [{_values(101)}] matrix y = [{_values(100)}]  # orchdsl: ignore[E120]\n"
        "    }\n}\n", encoding="utf-8")
    result = orchdsl("graph", "big.orch", cwd=tmp_path)
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr.startswith('big.orch:3:14: error[E120]: task "b" would run as 10,100 '
                                    "matrix instances; at most 10,000 are allowed\n")
    assert "Traceback" not in result.stderr


def test_a_silenced_empty_matrix_is_one_node_that_runs_nothing(orchdsl, tmp_path):
    (tmp_path / "e.orch").write_text(
        'orchestration "O" {\n    phase "A" {\n'
        '        task a run "x ${r}" matrix r = []  # orchdsl: ignore[E120]\n    }\n}\n',
        encoding="utf-8")
    result = orchdsl("graph", "e.orch", cwd=tmp_path)
    assert result == (0, "O (e.orch)\n\n[1] A\n     a  task  matrix: empty, no instance runs\n", "")
