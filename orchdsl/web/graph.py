"""The graph page: the compiled DAG as ``orchdsl graph --format svg`` draws it (phases as
clusters, conditions and matrix instances shown), each task node filled with the colour of its
state in a job. The dot text is ``graph_formats.dot``'s; a job's states are added as later
node statements (dot merges them into the nodes), then Graphviz's ``dot`` makes the SVG.

A task of a dynamic matrix is one node in the graph and several instances in the job: the
node takes the state that matters most among them (failed, then running, ...)."""

from __future__ import annotations

import shutil
import subprocess

from orchdsl.model import JobResult

TIMEOUT_S = 30
# Fills of task nodes by state; their text is #212529 (contrast checked in tests/web).
FILLS = {"pending": "#e9ecef", "running": "#cfe2ff", "succeeded": "#b7e4c7",
         "failed": "#f5c2c7", "skipped": "#fff3cd", "disabled": "#eeeeee",
         "cancelled": "#dee2e6"}
PRECEDENCE = ("failed", "running", "cancelled", "pending", "succeeded", "skipped", "disabled")


class GraphError(Exception):
    """The graph cannot be drawn (no Graphviz, Graphviz failed): the message says why."""


def node_states(compiled, job: JobResult) -> dict[str, tuple[str, str]]:
    """Graph node -> (state, what its tooltip says) for the tasks of ``job``."""
    graph = compiled.graph
    found: dict[str, list] = {}
    for task in job.tasks.values():
        node = task.name if task.name in graph else task.instance_of
        if node in graph:
            found.setdefault(node, []).append(task)
    states = {}
    for node, tasks in found.items():
        counts: dict[str, int] = {}
        for task in tasks:
            counts[task.state.value] = counts.get(task.state.value, 0) + 1
        state = next(s for s in PRECEDENCE if s in counts)
        if len(tasks) == 1 and tasks[0].name == node:
            tip = f"{node}: {state}" + (f" ({tasks[0].reason})" if tasks[0].reason else "")
        else:
            tip = f"{node}: {len(tasks)} instances: " + ", ".join(
                f"{n} {s}" for s, n in sorted(counts.items()))
        states[node] = (state, tip)
    return states


def dot_text(compiled, job: JobResult | None = None) -> str:
    from orchdsl.cli.graph_formats.dot import quote, render

    text = render(compiled).rstrip()
    assert text.endswith("}")
    lines = []
    for node, data in compiled.graph.nodes(data=True):
        if data["type"] != "task":
            continue
        state, tip = (node_states(compiled, job).get(node, ("pending", f"{node}: not in "
                      "this job")) if job is not None else ("", node))
        if job is None:
            lines.append(f'    {quote(node)} [class="task", tooltip={quote(tip)}];')
            continue
        lines.append(f'    {quote(node)} [class="task st-{state}", fillcolor="{FILLS[state]}",'
                     f' tooltip={quote(tip)}];')
    return text[:-1] + "\n".join(lines) + "\n}\n"


def svg(compiled, job: JobResult | None = None) -> str:
    """The SVG element (no XML prolog), ready to be put in a page."""
    if shutil.which("dot") is None:
        raise GraphError("drawing the graph needs Graphviz's dot on PATH (apt-get install "
                         "graphviz, brew install graphviz)")
    try:
        done = subprocess.run(["dot", "-Tsvg"], input=dot_text(compiled, job).encode(),
                              capture_output=True, timeout=TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GraphError(f"Graphviz failed: {exc}") from None
    if done.returncode != 0:
        first = done.stderr.decode(errors="replace").strip().splitlines()
        raise GraphError("Graphviz failed: " + (first[0] if first else f"exit {done.returncode}"))
    text = done.stdout.decode("utf-8", "replace")
    return text[text.index("<svg"):]


__all__ = ["svg", "dot_text", "node_states", "GraphError", "FILLS"]
