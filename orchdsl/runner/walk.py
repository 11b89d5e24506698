"""The walk of a job: its tasks and two barriers per phase as nodes, each reached once every
node before it is done (docs/language.md, "The compiled graph": the same nodes and edges)."""

from __future__ import annotations

from orchdsl.planning.spec import Plan


class Walk:
    """The plan as nodes and edges: ``<phase>:start`` and ``<phase>:end`` barriers and the
    tasks, as docs/language.md's compiled graph draws them, counted down as nodes are done."""

    def __init__(self, plan: Plan):
        self._before: dict[str, list[tuple[str, str]]] = {}
        self._after: dict[str, list[str]] = {}
        self._barriers: set[str] = set()
        self.starts: dict[str, object] = {}  # a phase's start barrier -> the phase (PhaseSpec)
        previous_end = None
        for phase in plan.phases:
            start, end = f"{phase.name}:start", f"{phase.name}:end"
            self._node(start), self._node(end)
            self._barriers |= {start, end}
            self.starts[start] = phase
            if previous_end is not None:
                self._edge(previous_end, start, "phase")
            self._edge(start, end, "phase")  # phase order even when every task starts early
            for name in phase.tasks:
                self._node(name)
                if not plan.task(name).needs:
                    self._edge(start, name, "phase")
                self._edge(name, end, "phase")
            previous_end = end
        for task in plan.tasks:
            for needed in task.needs:
                self._edge(needed, task.name, "needs")
        self._waiting = {n: len(b) for n, b in self._before.items()}
        self._left = len(self._waiting)

    def _node(self, name: str) -> None:
        self._before.setdefault(name, [])
        self._after.setdefault(name, [])

    def _edge(self, a: str, b: str, kind: str) -> None:
        self._before[b].append((a, kind))
        self._after[a].append(b)

    def is_barrier(self, node: str) -> bool:
        return node in self._barriers

    def before(self, node: str):
        return (a for a, _ in self._before[node])

    def edges_into(self, node: str) -> list[tuple[str, str]]:
        return self._before[node]

    def start(self, reach) -> None:
        for node, count in list(self._waiting.items()):
            if count == 0:
                reach(node)

    def done(self, node: str, reach) -> None:
        self._left -= 1
        for after in self._after[node]:
            self._waiting[after] -= 1
            if not self._waiting[after]:
                reach(after)

    def expand(self, node: str, names: list[str]) -> None:
        """Replace a reached task's node by its matrix instances: each has the node's edges,
        and what came after the node waits for every one (``needs load`` is every instance).
        The instances are reached next, by the caller."""
        before, after = self._before.pop(node), self._after.pop(node)
        del self._waiting[node]
        for name in names:
            self._before[name], self._after[name] = list(before), list(after)
            self._waiting[name] = 0
        for successor in after:
            self._before[successor] = [(n, kind) for a, kind in self._before[successor]
                                       for n in (names if a == node else [a])]
            self._waiting[successor] += len(names) - 1
        for predecessor, _ in before:
            self._after[predecessor] = [n for a in self._after[predecessor]
                                        for n in (names if a == node else [a])]
        self._left += len(names) - 1

    @property
    def finished(self) -> bool:
        return self._left == 0
