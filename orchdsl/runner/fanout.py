"""The observers of a job as one, telling each only the events it listens to: an observer
that does not override an event (the memory recorder hears no task, the CLI's warnings only
the job's end) is not called for it, thousands of times per job (bench_run W3)."""

from __future__ import annotations

from orchdsl.observer import Observer, Observers

# The events heard per task or attempt; the others are rare and go to every observer.
PER_TASK = ("task_started", "task_retrying", "task_output", "task_log", "tasks_expanded",
            "task_finished")


class Fanout(Observers):
    def __init__(self, *observers: Observer):
        super().__init__(*observers)
        for event in PER_TASK:
            ears = [getattr(o, event) for o in observers if _hears(o, event)]
            setattr(self, event, _caller(ears))


def _hears(observer: Observer, event: str) -> bool:
    """Whether ``observer`` may do something on ``event``: unless it is Observer's own
    no-op, as its class has it and it set none of its own."""
    return getattr(type(observer), event, None) is not getattr(Observer, event) or \
        event in getattr(observer, "__dict__", {})


def _caller(ears: list):
    if not ears:
        return lambda *args: None
    if len(ears) == 1:
        return ears[0]

    def tell(*args) -> None:
        for ear in ears:
            ear(*args)
    return tell
