"""What an import reports, as values: findings (the file is written, with a comment where
something was left out) and failures (nothing is written, exit 2). See docs/import-keboola.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Where:
    """A place in an input file; lines and columns are 1-based."""

    path: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Finding:
    """Something of the input that the .orch file does not say: an unknown field, a value that
    orchdsl cannot express. The file gets ``# not converted: <message>``, stderr one warning."""

    where: Where
    subject: str  # 'task 1001 ("Task 1")', 'schedule 42', ...
    message: str

    @property
    def comment(self) -> str:
        return f"not converted: {self.message}"

    @property
    def warning(self) -> str:
        return f"{self.where}: {self.subject}: not converted: {self.message}"


class ImportFailure(Exception):
    """The input cannot be converted at all (not JSON, none of the kinds, a cycle)."""

    def __init__(self, where: Where, message: str):
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


class OutputInvalid(Exception):
    """The converted text does not parse or lint clean: a bug in the importer."""
