"""``orchdsl graph`` end to end, through the installed command (docs/language.md, "The compiled
graph"; docs/reference.md, "Conventions of every command").

Every example renders in every format, Graphviz's real ``dot`` accepts the dot output, the
drawings show phases as clusters, kinds, disabled tasks and needs edges, and secrets never show.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import NamedTuple

import networkx as nx
import pytest

from conftest import Result  # tests/ is on sys.path
from conftest import orchdsl_executable as executable

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
DOT = shutil.which("dot") or "/usr/bin/dot"
SECRET_VALUE = "s3cr3t-value"


def run_raw(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("ORCHDSL_DEBUG",)}
    environment.update({"PYTHONUTF8": "1", "NO_COLOR": "1"})
    environment.pop("WAREHOUSE_TOKEN", None)
    environment.update(env or {})
    return subprocess.run([executable(), *map(str, args)], capture_output=True, cwd=cwd,
                          env=environment, timeout=60)


def orchdsl(*args, cwd=None, env=None) -> Result:
    done = run_raw(*args, cwd=cwd, env=env)
    return Result(done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8"))


# --- the examples, as a table ----------------------------------------------------------------

class Example(NamedTuple):
    path: str  # below examples/
    name: str
    phases: dict[str, list[str]]
    needs: set[tuple[str, str]]  # (needed, task)
    disabled: set[str]


EXAMPLE_TABLE = [
    Example("hourly-metrics/hourly-metrics.orch", "Hourly metrics", {
        "Extract": ["api_latency", "queue_depth"], "Transform": ["summarize"],
        "Write": ["status_page", "archive"]}, set(), set()),
    Example("ml-retrain/ml-retrain.orch", "Churn model retrain", {
        "Extract": ["usage", "labels"], "Transform": ["features", "data_profile"],
        "Train": ["train"], "Write": ["register_model", "model_card"],
        "Apps": ["deploy", "shadow_deploy"]}, set(), {"shadow_deploy"}),
    Example("nightly-warehouse/nightly-warehouse.orch", "Nightly warehouse", {
        "Extract": ["orders", "customers", "products", "web_events"],
        "Transform": ["stage_customers", "orders_fact", "sessions"],
        "Write": ["load_warehouse", "partner_export"], "Cleanup": ["cleanup"]},
        {("customers", "stage_customers")}, set()),
    Example("nightly-warehouse/cleanup.orch", "Warehouse cleanup", {
        "Apps": ["prune_staging", "rotate_logs"]}, set(), set()),
    Example("opportunities/opportunities.orch", "Opportunities", {
        "Extract": ["user_levels", "crm_db"], "Transform": ["tableau_prep", "gooddata_prep"],
        "Write": ["tableau", "gooddata"]}, set(), set()),
]
EXAMPLE_IDS = [e.path.split("/")[1] for e in EXAMPLE_TABLE]


def test_the_table_covers_every_example():
    found = sorted(str(p.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("*.orch"))
    assert found == sorted(e.path for e in EXAMPLE_TABLE)


def render(example: Example, fmt: str) -> Result:
    """The example drawn by ``orchdsl graph`` from its folder (once per test session)."""
    return _render(example.path, fmt)


@functools.lru_cache(maxsize=None)
def _render(relative: str, fmt: str) -> Result:
    path = EXAMPLES / relative
    return orchdsl("graph", path.name, "--format", fmt, cwd=path.parent)


@pytest.mark.parametrize("example", EXAMPLE_TABLE, ids=EXAMPLE_IDS)
def test_ascii(example):
    code, out, err = render(example, "ascii")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == f"{example.name} ({Path(example.path).name})"
    headers = [line for line in out.splitlines() if re.match(r"\[\d+\] ", line)]
    assert headers == [f"[{i}] {p}" for i, p in enumerate(example.phases, 1)]
    for tasks in example.phases.values():
        for name in tasks:
            (line,) = [x for x in out.splitlines() if re.match(rf"^ [ |]   {name} ", x)]
            assert ("(disabled)" in line) == (name in example.disabled)
            assert ("<- needs" in line) == any(t == name for _, t in example.needs)


@pytest.mark.parametrize("example", EXAMPLE_TABLE, ids=EXAMPLE_IDS)
def test_mermaid(example):
    code, out, err = render(example, "mermaid")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[:3] == ["---", lines[1], "---"]  # a title: the examples have a description
    assert lines[3] == "flowchart LR"
    subgraphs = [line.strip() for line in lines if line.strip().startswith("subgraph ")]
    assert subgraphs == [f'subgraph p{i}["{i + 1}. {p}"]' for i, p in enumerate(example.phases)]
    assert sum(line.strip() == "end" for line in lines) == len(example.phases)
    ids = {}
    for name in (t for tasks in example.phases.values() for t in tasks):
        (node,) = re.findall(rf"^\s+(t\d+)\W+\"{name}<br/>", out, re.M)
        ids[name] = node
        styled = re.findall(rf"^\s+class {node} (\w+)$", out, re.M)
        assert (styled == ["disabled"]) == (name in example.disabled)
    needs = set(re.findall(r"^\s+(t\d+) -. needs .-> (t\d+)$", out, re.M))
    assert needs == {(ids[a], ids[b]) for a, b in example.needs}


@pytest.mark.parametrize("example", EXAMPLE_TABLE, ids=EXAMPLE_IDS)
def test_dot_is_accepted_by_graphviz(example, tmp_path):
    code, out, err = render(example, "dot")
    assert (code, err) == (0, "")
    assert out.startswith(f'digraph "{example.name}" {{\n')
    clusters = re.findall(r'subgraph cluster_\w+ \{\n\s+label="\d+\. ([^"]*)";', out)
    assert clusters == list(example.phases)
    for name in (t for tasks in example.phases.values() for t in tasks):
        (node,) = re.findall(rf'^\s+"{name}" \[(.*)\];$', out, re.M)
        assert ('style="filled,dashed"' in node) == (name in example.disabled)
    needs = set(re.findall(r'^\s+"(\w+)" -> "(\w+)" \[style=dashed.*label="needs"', out, re.M))
    assert needs == example.needs
    done = subprocess.run([DOT, "-Tsvg"], input=out.encode(), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert b"<svg" in done.stdout


@pytest.mark.parametrize("example", EXAMPLE_TABLE, ids=EXAMPLE_IDS)
def test_json_is_node_link_data(example):
    code, out, err = render(example, "json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["version"] == 1
    tasks = {t: p for p, names in example.phases.items() for t in names}
    barriers = {f"{p}:{b}" for p in example.phases for b in ("start", "end")}
    nodes = {n["id"]: n for n in data["nodes"]}
    assert set(nodes) == set(tasks) | barriers
    for node_id, node in nodes.items():
        if node_id in tasks:
            assert node["type"] == "task"
            assert node["phase"] == tasks[node_id]
            assert node["disabled"] == (node_id in example.disabled)
            assert node["action"] in ("run", "call", "orchestration")
            assert "kind" in node
        else:
            assert node["type"] == "barrier"
            assert node["phase"] == node_id.rsplit(":", 1)[0]
    assert {e["type"] for e in data["edges"]} <= {"phase", "needs"}
    assert {(e["source"], e["target"]) for e in data["edges"] if e["type"] == "needs"} == example.needs
    graph = nx.node_link_graph(data, edges="edges")
    assert nx.is_directed_acyclic_graph(graph)
    assert graph.number_of_edges() <= 3 * len(tasks) + 3 * len(example.phases)


# --- the description (docs/reference.md: "shown by run --dry-run, graph and in notifications")

@functools.lru_cache(maxsize=None)
def _description(relative: str) -> str:
    """The example's description as the plan shows it (the planner, not the graph code)."""
    path = EXAMPLES / relative
    plan = orchdsl("run", path.name, "--dry-run", "--format", "json", cwd=path.parent)
    return json.loads(plan.stdout)["description"]


def _svg_texts(svg: str) -> list[str]:
    import html

    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


@pytest.mark.parametrize("fmt", ["ascii", "dot", "mermaid", "json", "svg"])
@pytest.mark.parametrize("example", EXAMPLE_TABLE, ids=EXAMPLE_IDS)
def test_every_format_shows_the_description(example, fmt):
    description = _description(example.path)
    assert description
    code, out, err = render(example, fmt)
    assert (code, err) == (0, "")
    lines = description.splitlines()
    if fmt == "ascii":
        assert out.splitlines()[1:len(lines) + 2] == [f"  {line}" for line in lines] + [""]
    elif fmt == "dot":
        label = "\\n".join([example.name, *lines]).replace('"', '\\"')
        assert f'    label="{label}";\n' in out
    elif fmt == "mermaid":
        title = f"{example.name}: {' '.join(description.split())}"
        assert out.startswith(f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\n---\n")
    elif fmt == "json":
        assert json.loads(out)["graph"]["description"] == description
    else:
        assert all(line.strip() in _svg_texts(out) for line in lines)


DESCRIBED = r'''orchestration "D" {
    description """
        Say "hi" \\ #1; <b>
        second line
    """
    phase "P" { task a run "x" }
}
'''


@pytest.mark.parametrize("fmt, expected", [
    ("ascii", 'D (d.orch)\n  Say "hi" \\ #1; <b>\n  second line\n\n[1] P\n'),
    ("mermaid", '---\ntitle: "D: Say \\"hi\\" \\\\ #1; <b> second line"\n---\nflowchart LR\n'),
    ("dot", '    label="D\\nSay \\"hi\\" \\\\ #1; <b>\\nsecond line";\n'),
])
def test_a_description_with_quotes_and_lines_in_each_format(tmp_path, fmt, expected):
    (tmp_path / "d.orch").write_text(DESCRIBED, encoding="utf-8")
    code, out, err = orchdsl("graph", "d.orch", "-f", fmt, cwd=tmp_path)
    assert (code, err) == (0, "")
    assert (out.startswith(expected) if fmt != "dot" else expected in out), out
    if fmt == "dot":
        done = subprocess.run([DOT, "-Tsvg"], input=out.encode(), capture_output=True, timeout=60)
        assert done.returncode == 0 and 'Say "hi" \\ #1; <b>' in _svg_texts(done.stdout.decode())


# --- file order of tasks in the drawing ----------------------------------------------------

# Phases whose tasks Graphviz, left alone, stacks by the tasks they need instead of the file.
CROSSING = '''orchestration "Order" {
    phase "A" {
        task a1 run "x"
        task a2 run "x"
        task a3 run "x"
    }
    phase "B" {
        task b1 run "x" needs a3
        task b2 run "x" needs a1
        task b3 run "x"
        task b4 run "x" needs a2
    }
    phase "C" {
        task c1 run "x" needs b4
        task c2 run "x" disabled
        task c3 run "x" needs b1
    }
}
'''
CROSSING_PHASES = {"A": ["a1", "a2", "a3"], "B": ["b1", "b2", "b3", "b4"], "C": ["c1", "c2", "c3"]}


def _top_to_bottom(dot: str, phases: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each phase's tasks as Graphviz lays them out, top first (-Tplain: y grows upwards)."""
    plain = subprocess.run([DOT, "-Tplain"], input=dot.encode(), capture_output=True,
                           timeout=60, check=True).stdout.decode()
    y = {name.strip('"'): float(value)
         for name, value in re.findall(r'^node ("[^"]*"|\S+) \S+ (\S+)', plain, re.M)}
    return {phase: sorted(tasks, key=lambda t: -y[t]) for phase, tasks in phases.items()}


@pytest.mark.parametrize("example", [*EXAMPLE_TABLE, "crossing"], ids=[*EXAMPLE_IDS, "crossing"])
def test_the_drawing_keeps_the_file_order_of_tasks(example, tmp_path):
    if example == "crossing":
        (tmp_path / "o.orch").write_text(CROSSING, encoding="utf-8")
        dot, phases = orchdsl("graph", "o.orch", "-f", "dot", cwd=tmp_path).stdout, CROSSING_PHASES
    else:
        dot, phases = render(example, "dot").stdout, example.phases
    in_output = re.findall(r'^        "(\w+)" \[label=', dot, re.M)
    assert in_output == [t for tasks in phases.values() for t in tasks]
    assert _top_to_bottom(dot, phases) == phases


@pytest.mark.parametrize("fmt, magic", [("svg", None), ("png", b"\x89PNG\r\n\x1a\n")],
                         ids=["svg", "png"])
@pytest.mark.parametrize("example", EXAMPLE_TABLE, ids=EXAMPLE_IDS)
def test_images_with_output_file(example, fmt, magic, tmp_path):
    target = tmp_path / f"graph.{fmt}"
    path = EXAMPLES / example.path
    done = run_raw("graph", path.name, "--format", fmt, "-o", target, cwd=path.parent)
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    data = target.read_bytes()
    if magic is None:
        assert data.lstrip().startswith((b"<?xml", b"<svg"))
        assert b"</svg>" in data
    else:
        assert data.startswith(magic)
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]  # no temporary left


@pytest.mark.parametrize("fmt, start", [("svg", b"<?xml"), ("png", b"\x89PNG")], ids=["svg", "png"])
def test_images_on_standard_output(fmt, start):
    path = EXAMPLES / EXAMPLE_TABLE[0].path
    done = run_raw("graph", path.name, "--format", fmt, cwd=path.parent)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout.startswith(start)


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_images_without_graphviz_name_it(fmt, tmp_path):
    path = EXAMPLES / EXAMPLE_TABLE[0].path
    target = tmp_path / f"out.{fmt}"
    bin_only = str(Path(executable()).parent)
    assert not os.path.exists(os.path.join(bin_only, "dot"))
    code, out, err = orchdsl("graph", path, "--format", fmt, "-o", target,
                             env={"PATH": bin_only})
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and err.endswith("\n")
    assert err.startswith(f"orchdsl graph: error: --format {fmt} needs Graphviz")
    assert not target.exists()


@pytest.mark.parametrize("fmt", ["dot", "mermaid", "ascii", "json"])
def test_text_formats_do_not_need_graphviz(fmt):
    path = EXAMPLES / EXAMPLE_TABLE[0].path
    bin_only = str(Path(executable()).parent)
    code, out, err = orchdsl("graph", path.name, "--format", fmt, cwd=path.parent,
                             env={"PATH": bin_only})
    assert (code, err) == (0, "")
    assert out == render(EXAMPLE_TABLE[0], fmt).stdout


@pytest.mark.parametrize("fmt", ["dot", "mermaid", "ascii", "json"])
def test_output_file_gets_what_stdout_would(fmt, tmp_path):
    example = EXAMPLE_TABLE[2]
    target = tmp_path / "sub" / f"graph.{fmt}"
    target.parent.mkdir()
    path = EXAMPLES / example.path
    code, out, err = orchdsl("graph", path.name, "-f", fmt, "-o", target, cwd=path.parent)
    assert (code, out, err) == (0, "", "")
    assert target.read_text(encoding="utf-8") == render(example, fmt).stdout


EXTENSION_FORMATS = [(".dot", "dot"), (".gv", "dot"), (".mmd", "mermaid"), (".json", "json"),
                     (".txt", "ascii"), (".GV", "dot"), ("", "ascii"), (".svg", "svg"),
                     (".png", "png")]


@pytest.mark.parametrize("extension, fmt", EXTENSION_FORMATS,
                         ids=[e or "no extension" for e, _ in EXTENSION_FORMATS])
def test_without_format_the_output_file_extension_picks_it(tmp_path, extension, fmt):
    example = EXAMPLE_TABLE[0]
    path = EXAMPLES / example.path
    target = tmp_path / f"graph{extension}"
    done = run_raw("graph", path.name, "-o", target, cwd=path.parent)
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    data = target.read_bytes()
    if fmt == "png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
    elif fmt == "svg":
        assert data.lstrip().startswith((b"<?xml", b"<svg")) and b"</svg>" in data
    else:
        assert data.decode("utf-8") == render(example, fmt).stdout


@pytest.mark.parametrize("given, name", [("dot", "g.png"), ("ascii", "g.svg"), ("png", "g.txt"),
                                         ("json", "g.dot"), ("mermaid", "g.json"),
                                         ("svg", "g.mmd")])
def test_a_format_the_output_extension_contradicts_is_refused(tmp_path, given, name):
    path = EXAMPLES / EXAMPLE_TABLE[0].path
    code, out, err = orchdsl("graph", path, "--format", given, "-o", tmp_path / name)
    assert (code, out) == (2, "")
    assert err.startswith(f"orchdsl graph: error: --format {given} does not match -o ")
    assert err.count("\n") == 1
    assert not (tmp_path / name).exists()


def test_a_mismatch_says_what_to_do(tmp_path):
    code, out, err = orchdsl("graph", EXAMPLES / EXAMPLE_TABLE[0].path, "--format", "dot",
                             "-o", "g.png", cwd=tmp_path)
    assert (code, out, err) == (2, "", "orchdsl graph: error: --format dot does not match -o "
                                       "g.png (.png is png): give -o a .dot name, or leave out "
                                       "--format\n")


@pytest.mark.parametrize("fmt", ["dot", "mermaid", "json", "ascii"])
def test_a_txt_file_takes_any_text_format(tmp_path, fmt):
    example = EXAMPLE_TABLE[0]
    path = EXAMPLES / example.path
    code, out, err = orchdsl("graph", path.name, "-f", fmt, "-o", tmp_path / "g.txt",
                             cwd=path.parent)
    assert (code, out, err) == (0, "", "")
    assert (tmp_path / "g.txt").read_text(encoding="utf-8") == render(example, fmt).stdout


def test_an_image_orchdsl_does_not_make_is_refused_with_the_command_that_does(tmp_path):
    code, out, err = orchdsl("graph", EXAMPLES / EXAMPLE_TABLE[0].path, "-o", "g.pdf",
                             cwd=tmp_path)
    assert (code, out) == (2, "")
    assert err == ("orchdsl graph: error: -o g.pdf: orchdsl graph makes svg and png images; for "
                   "pdf: orchdsl graph FILE --format dot | dot -Tpdf -o g.pdf\n")
    assert list(tmp_path.iterdir()) == []


def test_default_format_is_ascii():
    path = EXAMPLES / EXAMPLE_TABLE[0].path
    assert orchdsl("graph", path.name, cwd=path.parent) == render(EXAMPLE_TABLE[0], "ascii")


# --- a small file, output compared exactly ---------------------------------------------------

SMALL_ASCII = '''\
Small (small.orch)

[1] Extract
 |   crm     extractor
 |   sheet   extractor
 v
[2] Transform
 |   prep    transformation: call pkg.mod:prepare
 |   early   transformation  <- needs crm (Extract)
 v
[3] Write
     upload  writer
     old     writer  (disabled)
     child   application: child.orch
'''

SMALL_MERMAID = '''\
flowchart LR
    subgraph p0["1. Extract"]
        direction TB
        t0[("crm<br/><small>extractor</small>")]
        t1[("sheet<br/><small>extractor</small>")]
    end
    subgraph p1["2. Transform"]
        direction TB
        t2("prep<br/><small>transformation: call pkg.mod:prepare</small>")
        t3("early<br/><small>transformation</small>")
    end
    subgraph p2["3. Write"]
        direction TB
        t4[/"upload<br/><small>writer</small>"/]
        t5[/"old<br/><small>writer</small>"/]
        t6[["child<br/><small>application: child.orch</small>"]]
    end
    p0 --> p1
    p1 --> p2
    t0 -. needs .-> t3
    classDef extractor fill:#cfe2ff,stroke:#495057
    classDef transformation fill:#fff3cd,stroke:#495057
    classDef writer fill:#d1e7dd,stroke:#495057
    classDef application fill:#e2d9f3,stroke:#495057
    classDef plain fill:#f8f9fa,stroke:#495057
    classDef disabled fill:#eeeeee,color:#888888,stroke-dasharray:4 3
    class t0 extractor
    class t1 extractor
    class t2 transformation
    class t3 transformation
    class t4 writer
    class t5 disabled
    class t6 application
'''

SMALL_DOT = '''\
digraph "Small" {
    rankdir=LR;
    compound=true;
    node [fontname="Helvetica", fontsize=11, style=filled];
    edge [color="#6c757d"];
    label="Small";
    labelloc=t;
    subgraph cluster_0 {
        label="1. Extract";
        style="rounded,dashed"; color="#adb5bd";
        "Extract:start" [shape=point, width=0.08, label=""];
        "Extract:end" [shape=point, width=0.08, label=""];
        "crm" [label="crm\\nextractor", shape=cylinder, fillcolor="#cfe2ff"];
        "sheet" [label="sheet\\nextractor", shape=cylinder, fillcolor="#cfe2ff"];
        {rank=same; "crm"; "sheet"}
        "sheet" -> "crm" [style=invis];  // file order, top to bottom
    }
    subgraph cluster_1 {
        label="2. Transform";
        style="rounded,dashed"; color="#adb5bd";
        "Transform:start" [shape=point, width=0.08, label=""];
        "Transform:end" [shape=point, width=0.08, label=""];
        "prep" [label="prep\\ntransformation: call pkg.mod:prepare", shape=box, fillcolor="#fff3cd"];
        "early" [label="early\\ntransformation", shape=box, fillcolor="#fff3cd"];
        {rank=same; "prep"; "early"}
        "early" -> "prep" [style=invis];  // file order, top to bottom
    }
    subgraph cluster_2 {
        label="3. Write";
        style="rounded,dashed"; color="#adb5bd";
        "Write:start" [shape=point, width=0.08, label=""];
        "Write:end" [shape=point, width=0.08, label=""];
        "upload" [label="upload\\nwriter", shape=folder, fillcolor="#d1e7dd"];
        "old" [label="old\\nwriter", shape=folder, fillcolor="#eeeeee", style="filled,dashed", fontcolor="#888888", tooltip="old (disabled)"];
        "child" [label="child\\napplication: child.orch", shape=box3d, fillcolor="#e2d9f3"];
        {rank=same; "upload"; "old"; "child"}
        "child" -> "old" -> "upload" [style=invis];  // file order, top to bottom
    }
    "Extract:start" -> "crm";
    "Extract:start" -> "sheet";
    "Extract:end" -> "Transform:start";
    "crm" -> "Extract:end";
    "crm" -> "early" [style=dashed, color="#d63384", label="needs", fontsize=9, fontcolor="#d63384", constraint=false];
    "sheet" -> "Extract:end";
    "Transform:start" -> "prep";
    "Transform:end" -> "Write:start";
    "prep" -> "Transform:end";
    "early" -> "Transform:end";
    "Write:start" -> "upload";
    "Write:start" -> "old";
    "Write:start" -> "child";
    "upload" -> "Write:end";
    "old" -> "Write:end";
    "child" -> "Write:end";
}
'''


@pytest.mark.parametrize("fmt, expected", [
    ("ascii", SMALL_ASCII), ("mermaid", SMALL_MERMAID), ("dot", SMALL_DOT)])
def test_small_file_exactly(small_pipeline, fmt, expected):
    result = orchdsl("graph", "small.orch", "--format", fmt, cwd=small_pipeline.parent)
    assert result == (0, expected, "")


def test_small_file_json(small_pipeline):
    code, out, err = orchdsl("graph", "small.orch", "--format", "json",
                             cwd=small_pipeline.parent)
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["version"] == 1
    assert data["graph"] == {"name": "Small", "file": "small.orch", "description": None}
    edges = {(e["source"], e["target"], e["type"]) for e in data["edges"]}
    # no phase has a start -> end edge of its own: a task links the barriers of each
    assert edges == {
        ("Extract:start", "crm", "phase"),
        ("Extract:start", "sheet", "phase"), ("crm", "Extract:end", "phase"),
        ("sheet", "Extract:end", "phase"), ("Extract:end", "Transform:start", "phase"),
        ("Transform:start", "prep", "phase"),
        ("crm", "early", "needs"), ("prep", "Transform:end", "phase"),
        ("early", "Transform:end", "phase"), ("Transform:end", "Write:start", "phase"),
        ("Write:start", "upload", "phase"),
        ("Write:start", "old", "phase"), ("Write:start", "child", "phase"),
        ("upload", "Write:end", "phase"), ("old", "Write:end", "phase"),
        ("child", "Write:end", "phase"),
    }
    nodes = {n["id"]: n for n in data["nodes"]}
    assert {k: nodes["crm"][k] for k in ("type", "phase", "kind", "action", "disabled", "command",
                                         "retries", "backoff_s", "timeout_s", "line")} == {
        "type": "task", "phase": "Extract", "kind": "extractor", "action": "run",
        "disabled": False, "command": "python3 crm.py --day ${day}", "retries": 2,
        "backoff_s": 30.0, "timeout_s": 600.0, "line": 6}
    assert {k: nodes["old"][k] for k in ("type", "kind", "disabled")} == {
        "type": "task", "kind": "writer", "disabled": True}
    assert {k: nodes["child"][k] for k in ("action", "file", "nested_file")} == {
        "action": "orchestration", "file": "child.orch", "nested_file": "child.orch"}
    assert nodes["prep"]["target"] == "pkg.mod:prepare"
    assert nodes["Write:end"] == {"id": "Write:end", "type": "barrier", "phase": "Write",
                                  "phase_index": 2, "barrier": "end", "when": None}
    # the nested file's own graph is reachable from the node that runs it
    child = data["children"][nodes["child"]["nested_file"]]
    assert {n["id"] for n in child["nodes"]} == {"Only:start", "Only:end", "c1"}


def _dot_edges(dot: str) -> set[tuple[str, str]]:
    return set(re.findall(r'^    "((?:[^"\\]|\\.)*)" -> "((?:[^"\\]|\\.)*)"', dot, re.M))


NEEDS_ONLY_PHASE = '''orchestration "N" {
    phase "A" { task a run "x" }
    phase "B" { task b run "y" needs a }
    phase "C" { }
    phase "D" { task d run "z" }
}
'''


@pytest.mark.parametrize("example", [*EXAMPLE_TABLE, "needs-only"],
                         ids=[*EXAMPLE_IDS, "needs-only"])
def test_dot_draws_exactly_the_edges_of_the_json_graph(example, tmp_path):
    """docs/language.md, "The compiled graph": start -> task -> end, end(k) -> start(k+1),
    and a phase's own start -> end edge only where no task links its barriers (B: every task
    by needs; C: none); what the json graph has, the drawing shows."""
    if example == "needs-only":
        (tmp_path / "n.orch").write_text(NEEDS_ONLY_PHASE, encoding="utf-8")
        dot = orchdsl("graph", "n.orch", "-f", "dot", cwd=tmp_path).stdout
        data = json.loads(orchdsl("graph", "n.orch", "-f", "json", cwd=tmp_path).stdout)
    else:
        dot, data = render(example, "dot").stdout, json.loads(render(example, "json").stdout)
    edges = {(e["source"], e["target"]) for e in data["edges"]}
    assert _dot_edges(dot) == edges
    own = {(s, t) for s, t in edges if s.endswith(":start") and t == s[:-6] + ":end"}
    assert own == ({("B:start", "B:end"), ("C:start", "C:end")} if example == "needs-only"
                   else set())


TRICKY = r'''orchestration "Tricky \"name\" \\ é" {
    phase "Ex \"tract\" \\ {x} <b> #1 ; end" {
        task node extractor run "echo 'a' \"b\""
        task graph run ["x"] disabled
    }
    phase "" {
    }
    phase "subgraph" {
        task edge writer call "m.n:f" needs node
        task strict application run "true" needs node
    }
}
'''


@pytest.mark.parametrize("fmt", ["dot", "svg"])
def test_graphviz_accepts_odd_names(tmp_path, fmt):
    (tmp_path / "t.orch").write_text(TRICKY, encoding="utf-8")
    done = run_raw("graph", "t.orch", "--format", fmt, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, b"")
    if fmt == "dot":
        assert done.stdout.count(b"subgraph cluster_") == 3
        check = subprocess.run([DOT, "-Tsvg"], input=done.stdout, capture_output=True, timeout=60)
        assert check.returncode == 0, check.stderr.decode()
        # dot took the names as written: the phase label survives the round trip
        assert "Ex &quot;tract&quot; \\ {x} &lt;b&gt; #1 ; end" in check.stdout.decode()


def test_mermaid_escapes_odd_names(tmp_path):
    (tmp_path / "t.orch").write_text(TRICKY, encoding="utf-8")
    code, out, err = orchdsl("graph", "t.orch", "--format", "mermaid", cwd=tmp_path)
    assert (code, err) == (0, "")
    assert '    subgraph p0["1. Ex #quot;tract#quot; \\ {x} #lt;b#gt; #35;1 ; end"]' in out
    assert '    subgraph p1["2. "]' in out
    assert '        p1_empty["(no task)"]' in out
    assert "    t0 -. needs .-> t2\n    t0 -. needs .-> t3\n" in out


# --- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["ascii", "dot", "mermaid", "json", "svg"])
def test_invalid_file_exits_1_with_diagnostics_on_stderr(tmp_path, fmt):
    (tmp_path / "bad.orch").write_text(
        'orchestration "Bad" {\n    phase "P" {\n        task t extracter run "x"\n    }\n}\n',
        encoding="utf-8")
    code, out, err = orchdsl("graph", "bad.orch", "--format", fmt, cwd=tmp_path)
    assert (code, out) == (1, "")
    assert err.startswith("bad.orch:3:16: error[E001]: ")
    assert "\n 3 |         task t extracter run \"x\"\n" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("fmt", ["ascii", "json"])
def test_missing_file_exits_2(tmp_path, fmt):
    code, out, err = orchdsl("graph", "nowhere.orch", "--format", fmt, cwd=tmp_path)
    assert (code, out) == (2, "")
    assert err == "orchdsl graph: error: nowhere.orch: no such file\n"


@pytest.mark.parametrize("fmt", ["ascii", "png"])
def test_output_into_a_missing_folder_is_a_usage_error(tmp_path, fmt):
    """docs/reference.md: a path that cannot be written is exit 2 with one line, not an internal
    error."""
    path = EXAMPLES / EXAMPLE_TABLE[0].path
    code, out, err = orchdsl("graph", path, "--format", fmt, "-o", tmp_path / "no" / "such" / "x",
                             cwd=tmp_path)
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1
    assert err.startswith("orchdsl graph: error: ")


def test_unknown_format_is_a_usage_error(tmp_path):
    code, out, err = orchdsl("graph", "x.orch", "--format", "pdf", cwd=tmp_path)
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and "pdf" in err


@pytest.mark.parametrize("files, chain", [
    ({"a.orch": "b.orch", "b.orch": "a.orch"}, "a.orch -> b.orch -> a.orch"),
    ({"a.orch": "a.orch"}, "a.orch -> a.orch"),
])
@pytest.mark.parametrize("command", [["graph", "a.orch"], ["graph", "a.orch", "-f", "json"],
                                     ["run", "a.orch", "--dry-run"]])
def test_nested_cycle_exits_1_naming_the_chain(tmp_path, files, chain, command):
    for name, target in files.items():
        (tmp_path / name).write_text(
            f'orchestration "{name}" {{\n    phase "P" {{\n'
            f'        task next orchestration "{target}"\n    }}\n}}\n', encoding="utf-8")
    code, out, err = orchdsl(*command, cwd=tmp_path)
    assert (code, out) == (1, "")
    assert err.splitlines()[0] == (
        f"a.orch:3:33: error[E109]: nested orchestrations form a cycle: {chain}")


# --- secrets ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["ascii", "dot", "mermaid", "json", "svg"])
def test_a_secret_value_never_appears_in_a_graph(fmt):
    path = EXAMPLES / "nightly-warehouse/nightly-warehouse.orch"
    done = run_raw("graph", path.name, "--format", fmt, cwd=path.parent,
                   env={"WAREHOUSE_TOKEN": SECRET_VALUE})
    assert done.returncode == 0
    assert SECRET_VALUE.encode() not in done.stdout + done.stderr


@pytest.mark.parametrize("fmt", ["ascii", "dot", "mermaid", "json"])
def test_a_secret_value_never_appears_in_a_graph_of_any_use(tmp_path, fmt):
    (tmp_path / "s.orch").write_text('''\
orchestration "S ${TOKEN}" {
    description "uses ${TOKEN}"
    secret TOKEN
    phase "A" {
        task a run "x --token ${TOKEN} ${env.TOKEN}"
        task b run ["x", "${TOKEN}", "${env.TOKEN}"] env T = "${TOKEN}" env U = "${env.TOKEN}" cwd "${env.TOKEN}"
    }
}
''', encoding="utf-8")
    code, out, err = orchdsl("graph", "s.orch", "--format", fmt, cwd=tmp_path,
                             env={"TOKEN": SECRET_VALUE})
    assert code == 0, err
    assert SECRET_VALUE not in out + err
