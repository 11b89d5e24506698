"""When each phase of a conditional flow runs: the ``when`` of every phase, from the ``next``
transitions that lead to it (conditions.py translates one condition; this puts them together).

A transition of phase P is taken when P ran, its condition holds and none of the earlier
transitions' did; a phase runs when some transition leading to it is taken. "P succeeded" is
``succeeded(<P's tasks>)``, which also says that P ran.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from orchdsl.importers.keboola.conditions import Scope, Unsupported, implies_ran, refs_of, translate
from orchdsl.importers.keboola.expr import ALWAYS, Call, Expr, Not, both, either
from orchdsl.importers.keboola.findings import Finding
from orchdsl.importers.keboola.model import Phase, Transition


@dataclass(frozen=True, slots=True)
class Routes:
    when: Mapping[str, Expr | None]  # phase id -> when it runs; None: never
    findings: tuple[Finding, ...]  # about transitions; each Finding.subject is its phase


@dataclass(frozen=True, slots=True)
class Flowing:
    """What the walk needs besides the phases: names, guards, and where tasks run."""

    scope: Scope
    guards: Mapping[str, tuple[str, ...]]  # phase id -> its tasks without continue_on_failure
    phase_names: Mapping[str, str]  # phase id -> name in the converted file
    position: Mapping[str, int]  # task name -> index of its phase in the run order


def routes(phases: list[Phase], flowing: Flowing) -> Routes:
    """``phases`` in run order, the first one the flow's entry."""
    when: dict[str, Expr | None] = {}
    incoming: dict[str, list[Expr]] = {}
    findings: list[Finding] = []
    for index, phase in enumerate(phases):
        when[phase.id] = ALWAYS if index == 0 else either(incoming.get(phase.id, []))
        if when[phase.id] is None:
            continue
        for goto, take in _taken(phase, index, when[phase.id], flowing, findings):
            incoming.setdefault(goto, []).append(take)
    return Routes(when, tuple(findings))


def _taken(phase: Phase, index: int, ran: Expr, flowing: Flowing,
           findings: list[Finding]) -> Iterator[tuple[str, Expr]]:
    earlier: list[Expr] = []
    for transition in phase.next:
        if transition.condition is None:
            yield from _goto(transition, both(_succeeded(phase, ran, flowing),
                                              *[Not(e) for e in earlier]))
            return
        try:
            condition = _condition(transition, index, flowing)
        except Unsupported as exc:
            findings.append(_skipped(phase, transition, str(exc), flowing))
            continue
        own = flowing.scope.phase_tasks.get(phase.id, ())
        guarded = condition if implies_ran(condition, own) else both(ran, condition)
        yield from _goto(transition, both(guarded, *[Not(e) for e in earlier]))
        earlier.append(condition)


def _goto(transition: Transition, take: Expr) -> Iterator[tuple[str, Expr]]:
    if transition.goto is not None:
        yield transition.goto, take


def _succeeded(phase: Phase, ran: Expr, flowing: Flowing) -> Expr:
    guards = flowing.guards.get(phase.id, ())
    return Call("succeeded", guards) if guards else ran


def _condition(transition: Transition, index: int, flowing: Flowing) -> Expr:
    condition = translate(transition.condition, flowing.scope)
    later = sorted(name for name in refs_of(condition) if flowing.position[name] > index)
    if later:
        raise Unsupported(f"it names {', '.join(later)}, of a phase that runs later")
    return condition


def _skipped(phase: Phase, transition: Transition, reason: str, flowing: Flowing) -> Finding:
    target = (f'phase "{flowing.phase_names.get(transition.goto, transition.goto)}"'
              if transition.goto is not None else "the end of the flow")
    name = f' ("{transition.name}")' if transition.name else ""
    return Finding(transition.where, phase.label,
                   f"the transition{name} to {target} is never taken, and the ones after it "
                   f"are taken as if it were not there: no orchdsl condition says {reason}")
