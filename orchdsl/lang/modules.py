"""Where a ``call`` target's module is, as the runner imports it (docs/language.md, "call
tasks"): next to the .orch file, else on ``sys.path``. Lint reads the source it finds here
(orchdsl.check.call_targets) and the plan cache keeps it as one of a plan's inputs
(orchdsl.planning.cache); nothing here imports the parser."""

from __future__ import annotations

import os


def module_file(folder: str, module: str) -> str | None:
    """The source file of ``module`` when the runner would import it from ``folder`` (its top
    package or module lies there), else None."""
    parts = module.split(".")
    top = os.path.join(folder, parts[0])
    if not (os.path.isfile(top + ".py") or os.path.isdir(top)):
        return None
    base = os.path.join(folder, *parts)
    for candidate in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(candidate):
            return candidate
    return None  # a namespace package, an extension module, ...: left alone
