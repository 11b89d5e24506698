"""orchdsl: phases of tasks, schedules and notifications in one plain .orch file.

The public API; everything else may change. Names load on first use, so importing orchdsl
(and starting the ``orchdsl`` command) stays fast.
"""

from __future__ import annotations

from orchdsl._version import __version__

__all__ = [
    "__version__", "parse", "lint", "lint_paths", "compile", "plan", "run",
    "Diagnostic", "Severity", "JobResult", "JobState", "TaskResult", "TaskState", "Trigger",
    "Orchestration", "Phase", "Task", "Document",
    "CompileError", "ParamError", "SelectionError", "SourceError", "StoreError",
]

_EXPORTS = {
    "parse": ("orchdsl.lang.parser", "parse"),
    "lint": ("orchdsl.check.linter", "lint_source"),
    "lint_paths": ("orchdsl.check.linter", "lint_paths"),
    "compile": ("orchdsl.compiler", "compile_file"),
    "plan": ("orchdsl.api", "plan"),
    "run": ("orchdsl.api", "run"),
    "Diagnostic": ("orchdsl.lang.diagnostics", "Diagnostic"),
    "Severity": ("orchdsl.lang.diagnostics", "Severity"),
    "JobResult": ("orchdsl.model", "JobResult"),
    "JobState": ("orchdsl.model", "JobState"),
    "TaskResult": ("orchdsl.model", "TaskResult"),
    "TaskState": ("orchdsl.model", "TaskState"),
    "Orchestration": ("orchdsl.lang.ast", "Orchestration"),
    "Phase": ("orchdsl.lang.ast", "Phase"),
    "Task": ("orchdsl.lang.ast", "Task"),
    "Document": ("orchdsl.lang.ast", "Document"),
    "Trigger": ("orchdsl.model", "Trigger"),
    "CompileError": ("orchdsl.compiler", "CompileError"),
    "ParamError": ("orchdsl.planning.params", "ParamError"),
    "SelectionError": ("orchdsl.planning.selection", "SelectionError"),
    "SourceError": ("orchdsl.lang.source", "SourceError"),
    "StoreError": ("orchdsl.store.base", "StoreError"),
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
