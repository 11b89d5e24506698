"""A template's text for showing: the values filled in, secrets as ``***`` (docs/language.md,
"Secrets").

For showing a shell command, every value is quoted for its place in it, which reads well and
is what the command means; running one passes the values in the environment instead
(``orchdsl.planning.shell``). argv items, ``cwd`` and ``env`` values take the value as it is.
A reference without a value (``${env.NAME}``, an output, ``${job.id}`` before the job exists)
is shown as written.
"""

from __future__ import annotations

from typing import Mapping

from orchdsl.masking import MASK
from orchdsl.planning.shell import QuoteState, quote_for
from orchdsl.planning.spec import Ref, RefKind, Template


def render(template: Template, values: Mapping[str, str], *, shell: bool,
           masked: frozenset[str] = frozenset()) -> str:
    """``masked``: names (secrets) shown as ``***``; a secret is also read from the
    environment variable of its name, so ``${env.NAME}`` of a secret's NAME is masked too."""
    out: list[str] = []
    quoting = QuoteState() if shell else None
    for part in template.parts:
        if isinstance(part, str):
            out.append(part)
            if quoting:
                quoting.feed(part)
        elif part.kind is RefKind.SECRET or part.name in masked or part.env_var in masked:
            out.append(MASK)
        else:
            value = values.get(part.name)
            if value is None:
                out.append("${" + part.name + "}")
            else:
                out.append(quote_for(value, quoting.state) if quoting else value)
    return "".join(out)


def unresolved(template: Template, bound: Mapping[str, str]) -> list[Ref]:
    """The references of a template that ``bound`` has no value for."""
    return [r for r in template.refs if r.name not in bound]
