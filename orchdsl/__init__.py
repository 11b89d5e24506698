"""orchdsl: phases of tasks, schedules and notifications in one plain .orch file.

The public API; everything else may change. Names load on first use, so importing orchdsl
(and starting the ``orchdsl`` command) stays fast.
"""

from __future__ import annotations

from orchdsl._version import __version__

__all__ = [
    "__version__", "parse", "lint", "lint_paths", "compile", "plan", "run",
    "Diagnostic", "Severity", "JobResult", "JobState", "TaskResult", "TaskState",
    "Orchestration", "Phase", "Task", "Document",
]

_EXPORTS = {
    "parse": ("orchdsl.parser", "parse"),
    "lint": ("orchdsl.linter", "lint_source"),
    "lint_paths": ("orchdsl.linter", "lint_paths"),
    "compile": ("orchdsl.compiler", "compile_file"),
    "plan": ("orchdsl.api", "plan"),
    "run": ("orchdsl.api", "run"),
    "Diagnostic": ("orchdsl.diagnostics", "Diagnostic"),
    "Severity": ("orchdsl.diagnostics", "Severity"),
    "JobResult": ("orchdsl.runner.model", "JobResult"),
    "JobState": ("orchdsl.runner.model", "JobState"),
    "TaskResult": ("orchdsl.runner.model", "TaskResult"),
    "TaskState": ("orchdsl.runner.model", "TaskState"),
    "Orchestration": ("orchdsl.ast", "Orchestration"),
    "Phase": ("orchdsl.ast", "Phase"),
    "Task": ("orchdsl.ast", "Task"),
    "Document": ("orchdsl.ast", "Document"),
}


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'orchdsl' has no attribute {name!r}")
    import importlib

    module, attribute = _EXPORTS[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
