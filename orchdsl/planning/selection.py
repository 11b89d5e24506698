"""Which tasks a run selects: ``--only``, ``--skip``, ``--phase``, ``--from-phase`` (LANGUAGE.md
6, 7). Each flag repeats and takes comma-separated names or globs (a name that exists is taken
as it is before it is read as a glob); a pattern that matches nothing is a usage error, with
a did-you-mean hint. A name holding a comma cannot be selected by name: use a glob (``A?B``)."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from typing import Mapping, Sequence



class SelectionError(ValueError):
    """A selection flag names no task or phase (a usage error, exit 2)."""


@dataclass(frozen=True)
class Selection:
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    phases: tuple[str, ...] = ()
    from_phase: str | None = None

    @staticmethod
    def from_flags(only=(), skip=(), phases=(), from_phase=None) -> Selection:
        """Raises SelectionError for a flag given with no name (``--only ""``): run with
        ``--only "$UNSET_VARIABLE"`` must not quietly mean "everything"."""
        if from_phase is not None and not from_phase.strip():
            raise SelectionError("--from-phase names no phase")
        return Selection(split(only, "--only"), split(skip, "--skip"),
                         split(phases, "--phase"), from_phase)

    def flags(self) -> tuple[str, ...]:
        """The selection as command-line flags (recorded with the job, shown by ``job``)."""
        flags = [f"--{name} {value}" for name, values in (
            ("only", self.only), ("skip", self.skip), ("phase", self.phases)) for value in values]
        if self.from_phase is not None:
            flags.append(f"--from-phase {self.from_phase}")
        return tuple(flags)


EVERYTHING = Selection()


def split(values, flag: str) -> tuple[str, ...]:
    found = []
    for value in values or ():
        names = [p.strip() for p in value.split(",") if p.strip()]
        if not names:
            raise SelectionError(f"{flag} {value!r} names nothing")
        found.extend(names)
    return tuple(found)


def unselected(phases: Sequence[tuple[str, Sequence[str]]], selection: Selection,
               groups: Mapping[str, Sequence[str]] | None = None) -> dict[str, str]:
    """Task name -> why it is not selected, for every task a selection leaves out.
    ``phases``: each phase's name and its tasks' names, in file order; ``groups``: a matrix
    task's name -> its instances' names (``--only load`` selects every instance)."""
    groups = groups or {}
    phase_names = [name for name, _ in phases]
    task_names = [task for _, tasks in phases for task in tasks]
    reasons: dict[str, str] = {}
    if selection.from_phase is not None:
        if selection.from_phase not in phase_names:
            raise SelectionError(_nothing("phase", selection.from_phase, phase_names, "--from-phase"))
        first = phase_names.index(selection.from_phase)
        for _, tasks in phases[:first]:
            for task in tasks:
                reasons.setdefault(task, f"before --from-phase {selection.from_phase}")
    if selection.phases:
        chosen = _matching(selection.phases, phase_names, "phase", "--phase")
        for name, tasks in phases:
            if name not in chosen:
                for task in tasks:
                    reasons.setdefault(task, "phase not selected (--phase)")
    if selection.only:
        chosen = _matching(selection.only, task_names, "task", "--only", groups)
        for name in task_names:
            if name not in chosen:
                reasons.setdefault(name, "not selected (--only)")
    if selection.skip:
        for name in _matching(selection.skip, task_names, "task", "--skip", groups):
            reasons.setdefault(name, "skipped (--skip)")
    return reasons


def _matching(patterns: tuple[str, ...], names: list[str], what: str, flag: str,
              groups: Mapping[str, Sequence[str]] | None = None) -> set[str]:
    found: set[str] = set()
    for pattern in patterns:
        # A name as it is first ("Load [EU]" is a phase, not a glob), a matrix task as all of
        # its instances, then as a glob.
        if pattern in names:
            matched = {pattern}
        elif groups and pattern in groups:
            matched = set(groups[pattern])
        else:
            matched = {n for n in names if fnmatchcase(n, pattern)}
        if not matched:
            raise SelectionError(_nothing(what, pattern, names, flag))
        found |= matched
    return found


def _nothing(what: str, pattern: str, names: list[str], flag: str) -> str:
    from orchdsl.lang.diagnostics import did_you_mean  # for the error only

    hint = did_you_mean(pattern, names)
    return f'{flag} {pattern}: no {what} matches' + (f" ({hint})" if hint else "")
