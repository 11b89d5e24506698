"""Importers: other tools' pipeline definitions turned into ``.orch`` text.

One subpackage per tool; ``orchdsl import TOOL FILE...`` (``orchdsl.cli.import_cmd``) runs it.
An importer returns the converted text and its findings as values and never prints.
"""

from __future__ import annotations

# tool name -> (module, one line for --help)
SOURCES: dict[str, tuple[str, str]] = {
    "keboola": ("orchdsl.importers.keboola",
                "Keboola orchestrations, Flows, conditional flows, schedules, notifications"),
}
