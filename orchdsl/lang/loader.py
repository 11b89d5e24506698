"""Read and parse files once each: the files a command was given and the nested
orchestrations they name (docs/reference.md: paths relative to the naming file)."""

from __future__ import annotations

import os

from orchdsl.lang import ast
from orchdsl.lang.parser import ParseResult, parse
from orchdsl.lang.source import STDIN, SourceError, read_source


class Loader:
    def __init__(self, stdin_text: str | None = None, stdin_name: str | None = None):
        self._stdin_text = stdin_text
        self._stdin_name = stdin_name
        self._results: dict[str, ParseResult | SourceError] = {}
        # The errors of nested files, by real path: checked once per command (rule E108).
        self.nested_errors: dict[str, list] = {}

    def load(self, path: str) -> ParseResult:
        """Parse a file (cached by its real path). Raises SourceError when it cannot be read."""
        key = self.key(path)
        if key not in self._results:
            try:
                text = read_source(path, self._stdin_text)
                shown = self._stdin_name if path == STDIN and self._stdin_name else path
                self._results[key] = parse(text, shown)
            except SourceError as exc:
                self._results[key] = exc
        result = self._results[key]
        if isinstance(result, SourceError):
            raise result
        return result

    @staticmethod
    def key(path: str) -> str:
        return path if path == STDIN else os.path.realpath(path)

    @staticmethod
    def nested_path(document: ast.Document, nested: ast.Nested) -> str:
        """The path of a nested orchestration, relative to the file that names it."""
        base = os.getcwd() if document.path == STDIN else os.path.dirname(document.path)
        return os.path.normpath(os.path.join(base, nested.path.value))


def nested_tasks(document: ast.Document):
    """The tasks of a parsed file that run another orchestration."""
    if document.orchestration is None:
        return
    for task in document.orchestration.tasks:
        if isinstance(task.action, ast.Nested):
            yield task
