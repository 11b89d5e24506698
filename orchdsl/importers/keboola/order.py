"""Phases in the order they run: a topological order of a dependency graph that keeps the
file's order wherever the dependencies allow (as keboola-as-code sorts a flow's phases: each
phase after the phases it depends on, visited in file order)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class Cycle(Exception):
    """The graph has a cycle; ``path`` lists it from its first node back to that node."""

    def __init__(self, path: list[str]):
        super().__init__(" -> ".join(path))
        self.path = path


def topological(nodes: Sequence[str], before: Mapping[str, Sequence[str]]) -> list[str]:
    """``nodes`` ordered so that every node comes after the nodes ``before[node]`` names
    (names that are no node are ignored); Cycle when that is impossible."""
    known = set(nodes)
    edges = {node: [e for e in before.get(node, ()) if e in known] for node in known}
    done: set[str] = set()
    order: list[str] = []
    for node in nodes:
        if node not in done:
            _visit(node, edges, done, order)
    return order


def _visit(start: str, before: Mapping[str, list[str]], done: set[str], order: list[str]):
    """Depth first from ``start`` without recursion (a long chain must not hit Python's
    recursion limit): ``path`` is the chain being followed, each with its next edge."""
    path: list[tuple[str, int]] = [(start, 0)]
    while path:
        node, edge = path[-1]
        if edge == len(before[node]):
            path.pop()
            done.add(node)
            order.append(node)
            continue
        path[-1] = (node, edge + 1)
        earlier = before[node][edge]
        chain = [n for n, _ in path]
        if earlier in chain:
            raise Cycle(chain[chain.index(earlier):] + [earlier])
        if earlier not in done:
            path.append((earlier, 0))
