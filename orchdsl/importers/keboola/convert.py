"""``orchdsl import keboola``: Keboola's JSON in, one .orch file out.

read (json_source, detect, read_*) -> typed model (model.py) -> Pipeline (build_*) -> text
(render.py) -> canonical layout, lint clean (finish.py). Returns values; the command
(orchdsl/cli/import_cmd.py) prints them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from orchdsl.importers.keboola.build_clauses import notify_clauses, schedule_clauses
from orchdsl.importers.keboola.build_flow import build_phases
from orchdsl.importers.keboola.command import TOKEN_SECRET, Template
from orchdsl.importers.keboola.detect import read_document
from orchdsl.importers.keboola.finish import finish
from orchdsl.importers.keboola.findings import Finding, ImportFailure, Where
from orchdsl.importers.keboola.json_source import load
from orchdsl.importers.keboola.model import Flow, Input
from orchdsl.importers.keboola.pipeline import Pipeline
from orchdsl.importers.keboola.render import render


@dataclass(frozen=True, slots=True)
class Conversion:
    text: str
    findings: tuple[Finding, ...]  # sorted by where they were read


def convert(sources: list[tuple[str, bytes]], template: Template,
            output: str = "converted.orch") -> Conversion:
    """``sources`` are (name shown in messages, bytes); ImportFailure when nothing can be
    converted."""
    inputs = [read_document(load(path, data)) for path, data in sources]
    flow = _the_flow(inputs)
    built = build_phases(flow, template)
    schedules = schedule_clauses(flow, [*flow.schedules, *_all(inputs, "schedules")])
    notifies = notify_clauses(flow, [*flow.subscriptions, *_all(inputs, "subscriptions")])
    secret = (f"secret {TOKEN_SECRET}",) if template.is_default else ()
    findings = _sorted([*flow.findings, *built.findings, *schedules.findings,
                        *notifies.findings, *(f for i in inputs for f in i.findings)])
    notes = [f"{f.subject}: {f.comment}" for f in
             (*flow.findings, *schedules.findings, *notifies.findings)] + list(built.notes)
    pipeline = Pipeline(_header(inputs, bool(findings)), _name(flow, inputs), flow.description,
                        tuple(notes), schedules.lines + notifies.lines + built.params + secret,
                        built.phases)
    return Conversion(finish(render(pipeline), output), findings)


def _the_flow(inputs: list[Input]) -> Flow:
    flows = [i for i in inputs if i.flow is not None]
    if not flows:
        raise ImportFailure(Where(inputs[0].path), "no orchestration or flow to convert: "
                            "schedules and notifications need the flow they belong to (give its "
                            "JSON too)")
    if len(flows) > 1:
        raise ImportFailure(flows[1].flow.where, f"a second flow (after {flows[0].path}): "
                            "convert one at a time")
    return flows[0].flow


def _all(inputs: list[Input], attribute: str) -> list:
    return [item for i in inputs for item in getattr(i, attribute)]


def _sorted(findings: list[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(dict.fromkeys(findings), key=lambda f: (f.where, f.subject)))


def _name(flow: Flow, inputs: list[Input]) -> str:
    if flow.name:
        return flow.name
    stem = os.path.splitext(os.path.basename(inputs[0].path))[0]
    return stem if stem and stem != "<stdin>" else "Converted from Keboola"


def _header(inputs: list[Input], anything_left_out: bool) -> tuple[str, ...]:
    lines = ["Converted from Keboola by orchdsl import keboola:",
             *[f"{i.path}: {i.what}" for i in inputs]]
    if anything_left_out:
        lines.append('"not converted:" comments mark what orchdsl does not say the same way '
                     "(docs/import-keboola.md).")
    return tuple(lines)
