"""``orchdsl import keboola``: Keboola's legacy orchestrations, Flows, conditional flows,
schedules and notification subscriptions as one .orch file (docs/import-keboola.md)."""

from orchdsl.importers.keboola.command import (DEFAULT_TEMPLATE, PLACEHOLDERS, Template,
                                               TemplateError, parse_template)
from orchdsl.importers.keboola.convert import Conversion, convert
from orchdsl.importers.keboola.findings import Finding, ImportFailure, OutputInvalid, Where

__all__ = ["convert", "Conversion", "Finding", "ImportFailure", "OutputInvalid", "Where",
           "Template", "TemplateError", "parse_template", "DEFAULT_TEMPLATE", "PLACEHOLDERS"]
