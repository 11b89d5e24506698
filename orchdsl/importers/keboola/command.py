"""How a converted task starts its Keboola job: a command template with placeholders, and
the task's kind from its component id (docs/import-keboola.md, "Commands")."""

from __future__ import annotations

import shlex
import string
from dataclasses import dataclass

from orchdsl.importers.keboola.model import Job

# The Keboola CLI (kbc, keboola/keboola-as-code) runs a configuration's job and waits for it,
# exiting 1 when it fails. It stops waiting after --timeout (5 minutes by default) and then
# fails, so the default waits a day; KBC_STORAGE_API_HOST and KBC_STORAGE_API_TOKEN tell it
# which project.
DEFAULT_TEMPLATE = "kbc remote job run --timeout 24h {target}"
TOKEN_SECRET = "KBC_STORAGE_API_TOKEN"
PLACEHOLDERS = {
    "component": "the component id (keboola.ex-db-snowflake)",
    "config": "the configuration id",
    "target": "component/config, with @tag when the task has a tag (kbc's form)",
    "tag": "the component's version tag, empty when none",
    "mode": 'the job mode ("run" or "debug")',
    "rows": "the configuration row ids, comma-separated, empty when none",
}


class TemplateError(ValueError):
    """The template names an unknown placeholder or has an unmatched brace."""


@dataclass(frozen=True, slots=True)
class Template:
    text: str
    fields: frozenset[str]

    @property
    def is_default(self) -> bool:
        return self.text == DEFAULT_TEMPLATE

    def uses(self, attribute: str) -> bool:
        """Whether the job's ``attribute`` (tag, mode, rows) reaches the command."""
        return attribute in self.fields or (attribute == "tag" and "target" in self.fields)

    def command(self, job: Job) -> str:
        target = f"{job.component}/{job.config}" + (f"@{job.tag}" if job.tag else "")
        values = {"component": job.component, "config": job.config, "target": target,
                  "tag": job.tag, "mode": job.mode, "rows": ",".join(job.rows)}
        return self.text.format(**{key: shlex.quote(value) for key, value in values.items()})


def parse_template(text: str) -> Template:
    try:
        fields = {field for _, field, spec, conversion in string.Formatter().parse(text)
                  if field is not None}
    except ValueError as exc:
        raise TemplateError(f"{exc} (write {{{{ and }}}} for literal braces)") from None
    unknown = sorted(fields - set(PLACEHOLDERS))
    if unknown:
        raise TemplateError(f"unknown placeholder {{{unknown[0]}}}; the placeholders are "
                            + ", ".join(f"{{{name}}}" for name in PLACEHOLDERS))
    if not text.strip():
        raise TemplateError("the command is empty")
    return Template(text, frozenset(fields))


def kind_of(component: str) -> str | None:
    """extractor, writer, transformation or application from a component id (``ex-``,
    ``wr-``, ``...-transformation``, ``app-``), None when the id says none of them."""
    name = component.split(".", 1)[-1].lower()
    if name.startswith("ex-") or name.endswith("-extractor") or name == "extractor":
        return "extractor"
    if name.startswith("wr-") or name.endswith("-writer") or name == "writer":
        return "writer"
    if "transformation" in name:
        return "transformation"
    if name.startswith("app-"):
        return "application"
    return None
