"""What the three shells' scripts share: the top-level options, and where an option's or
argument's words come from."""

from __future__ import annotations

from orchdsl.cli.parsers import Option

TOP_OPTIONS = (("--help", "show this help and exit"), ("--version", "show the version and exit"))

# Metavars whose words are read from disk on TAB: the kind asked of ``completion --words``
# (orchdsl.cli.completion.disk_words).
DYNAMIC = {"TASKS": "tasks", "TASK": "tasks", "PHASES": "phases", "PHASE": "phases",
           "JOB": "jobs", "ID": "jobs"}


def value_words(option: Option) -> tuple[str, ...]:
    """The words an option's value is completed from: its choices, or the rule codes for a
    CODE (``lint --explain``)."""
    if option.choices:
        return option.choices
    if option.metavar == "CODE":
        from orchdsl.check.rules import all_rules

        return tuple(all_rules())
    return ()
