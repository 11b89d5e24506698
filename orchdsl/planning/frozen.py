"""``@frozen``: the plan's data classes (``@dataclass(frozen=True, slots=True)``) with a
pickle of their own, because the plan cache (planning.cache) unpickles every task of a plan
at every run. A frozen slotted dataclass unpickles through ``dataclasses``' own
``__setstate__``, which looks up the class's fields again for every object (0.1 s for a plan
of 10,000 tasks); here the state is the tuple of the fields, got with one ``attrgetter`` and
set through the slots' own descriptors by straight-line code, made when the class is first
unpickled (a run that unpickles nothing does not pay for it)."""

from __future__ import annotations

import operator
from dataclasses import dataclass, fields


def frozen(cls):
    cls = dataclass(frozen=True, slots=True)(cls)
    names = tuple(f.name for f in fields(cls))
    getter = operator.attrgetter(*names)

    if len(names) == 1:
        def __getstate__(self):
            return (getter(self),)
    else:
        def __getstate__(self):
            return getter(self)

    def __setstate__(self, state):
        fast = cls.__setstate__ = _setstate(cls, names)
        fast(self, state)

    cls.__getstate__, cls.__setstate__ = __getstate__, __setstate__
    return cls


def _setstate(cls, names: tuple[str, ...]):
    # As dataclasses writes __init__: a loop over the fields costs more per object.
    body = "".join(f"    _set{i}(self, state[{i}])\n" for i in range(len(names)))
    space = {f"_set{i}": cls.__dict__[name].__set__ for i, name in enumerate(names)}
    exec(f"def __setstate__(self, state):\n{body}", space)  # noqa: S102 - text made here
    return space["__setstate__"]
