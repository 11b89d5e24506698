"""Fill ``${name}`` and ``${env.NAME}`` into a task's strings (LANGUAGE.md 2, 3, 7).

For showing a shell command, every value is quoted for its place in it; running one passes
the values in the environment instead (``orchdsl.planning.shell``). argv
items, ``cwd`` and ``env`` values take the value as it is. Secrets are given as ``***`` where
the result is shown (plans, graphs, logs) and as their value only where a task runs.
"""

from __future__ import annotations

from typing import Mapping

from orchdsl.lang import ast
from orchdsl.planning.shell import QuoteState, quote_for

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
    quoting = QuoteState() if shell else None
    for part in string.parts:
        if isinstance(part, str):
            out.append(part)
            if quoting:
                quoting.feed(part)
            continue
        variable = part.env_var
        # A secret is read from the environment variable of its name, so ${env.NAME} of a
        # secret's NAME is the secret too.
        if part.name in masked or variable in masked:
            out.append(MASK)
            continue
        value = environ.get(variable) if variable is not None else values.get(part.name)
        if value is None:
            if not keep_missing:
                raise MissingValue(part.name, part.span)
            out.append("${" + part.name + "}")
            continue
        out.append(quote_for(value, quoting.state) if quoting else value)
    return "".join(out)
