"""Reading one JSON object field by field, leniently: booleans may be strings ("true"), ids
numbers or strings, a missing or null value is the default. Whatever is malformed, and every
field never read, becomes a finding (docs/import-keboola.md, "Unknown fields")."""

from __future__ import annotations

from orchdsl.importers.keboola.findings import Finding, Where
from orchdsl.importers.keboola.json_source import Document, JsonObject, compact

TRUE_WORDS = frozenset({"true", "1"})
FALSE_WORDS = frozenset({"false", "0"})


class ObjectReader:
    """Typed getters over one object; ``findings()`` lists the problems and unread fields."""

    def __init__(self, document: Document, node: object, subject: str,
                 where: Where | None = None):
        self.document = document
        self.node = node if isinstance(node, dict) else JsonObject(())
        self.subject = subject
        # A missing object ({} in its place) is reported where its owner is.
        self.where: Where = (document.where(node) if isinstance(node, JsonObject) or where is None
                             else where)
        self._read: set[str] = set()
        self._findings: list[Finding] = []
        if not isinstance(node, dict):
            self.note(f"expected an object, got {compact(node)}")

    def note(self, message: str) -> None:
        self._findings.append(Finding(self.where, self.subject, message))

    def raw(self, key: str) -> object:
        """The value as read (None for a missing key or JSON null), marking the key read."""
        self._read.add(key)
        return self.node.get(key)

    def skip(self, *keys: str) -> None:
        """Keys known to carry nothing for orchdsl (ids of tokens, timestamps, versions)."""
        self._read.update(keys)

    def text(self, key: str, default: str = "") -> str:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, (dict, list)):
            self.note(f'"{key}": {compact(value)} is not a text')
            return default
        return _scalar_text(value)

    def identifier(self, key: str) -> str | None:
        """An id given as a number or a string (``123`` and ``"123"`` are the same id)."""
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, (dict, list, bool)):
            self.note(f'"{key}": {compact(value)} is not an id')
            return None
        return identifier_text(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key)
        parsed = boolean_value(value)
        if value is not None and parsed is None:
            self.note(f'"{key}": {compact(value)} is not a boolean; {str(default).lower()} '
                      "is assumed")
        return default if parsed is None else parsed

    def integer(self, key: str) -> int | None:
        value = self.raw(key)
        parsed = integer_value(value)
        if value is not None and parsed is None:
            self.note(f'"{key}": {compact(value)} is not a whole number')
        return parsed

    def number(self, key: str) -> float | None:
        value = self.raw(key)
        if value is None or isinstance(value, bool):
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            self.note(f'"{key}": {compact(value)} is not a number')
            return None

    def nested(self, key: str) -> JsonObject | None:
        value = self.raw(key)
        if value is not None and not isinstance(value, dict):
            self.note(f'"{key}": {compact(value)} is not an object')
            return None
        return value

    def items(self, key: str) -> list:
        value = self.raw(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.note(f'"{key}": {compact(value)} is not a list')
            return []
        return value

    def findings(self) -> tuple[Finding, ...]:
        unread = [key for key in self.node if key not in self._read]
        unknown = [Finding(self.where, self.subject,
                           f'unknown field "{key}": {compact(self.node[key])}') for key in unread]
        return tuple(self._findings) + tuple(unknown)


def _scalar_text(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return identifier_text(value) if isinstance(value, (int, float)) else str(value)


def identifier_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def boolean_value(value: object) -> bool | None:
    """JSON booleans, 0/1, and their string forms; None for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    return None


def integer_value(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None
