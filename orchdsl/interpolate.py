"""Fill ``${name}`` and ``${env.NAME}`` into a task's strings (LANGUAGE.md 2, 3, 7).

In a shell command every value is shell-quoted, so a param cannot inject shell syntax; argv
items, ``cwd`` and ``env`` values take the value as it is. Secrets are given as ``***`` where
the result is shown (plans, graphs, logs) and as their value only where a task runs.
"""

from __future__ import annotations

import shlex
from typing import Mapping

from orchdsl import ast

MASK = "***"


class MissingValue(Exception):
    """An interpolation whose value is not available (an unset environment variable)."""

    def __init__(self, name: str, span):
        super().__init__(name)
        self.name, self.span = name, span


def render(string: ast.StringLit, values: Mapping[str, str], environ: Mapping[str, str], *,
           shell: bool, masked: frozenset[str] = frozenset(), keep_missing: bool = False) -> str:
    """The string with its interpolations filled in.

    ``masked`` names are shown as ``***`` (unquoted); ``keep_missing`` writes an unset
    ``${env.NAME}`` back as written instead of raising MissingValue.
    """
    out: list[str] = []
    for part in string.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        if part.name in masked:
            out.append(MASK)
            continue
        variable = part.env_var
        value = environ.get(variable) if variable is not None else values.get(part.name)
        if value is None:
            if not keep_missing:
                raise MissingValue(part.name, part.span)
            out.append("${" + part.name + "}")
            continue
        out.append(shlex.quote(value) if shell else value)
    return "".join(out)
