"""Reading the input: JSON whose objects remember where they start, so that a finding or a
failure can say ``flow.json:12:7``. Python's ``json`` keeps no positions; its pure-Python
scanner takes the object parser from its context, which is the seam used here."""

from __future__ import annotations

import json
import json.decoder
import json.scanner
from dataclasses import dataclass

from orchdsl.importers.keboola.findings import ImportFailure, Where


class JsonObject(dict):
    """A JSON object and the offset of its ``{`` in the text."""

    __slots__ = ("offset",)

    def __init__(self, pairs, offset: int = 0):
        super().__init__(pairs)
        self.offset = offset


@dataclass(frozen=True, slots=True)
class Document:
    """One input file: its name as shown in messages, its text and its JSON value."""

    path: str
    text: str
    value: object

    def where(self, node: object = None) -> Where:
        """Where ``node`` (a JsonObject of this document) starts; the file's start otherwise."""
        offset = node.offset if isinstance(node, JsonObject) else 0
        return Where(self.path, *position(self.text, offset))


def position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - text.rfind("\n", 0, offset)


def load(path: str, data: bytes) -> Document:
    """The document in ``data``; ImportFailure when it is not UTF-8 or not JSON."""
    text = _decode(path, data)
    try:
        value = _decoder().decode(text)
    except json.JSONDecodeError as exc:
        raise ImportFailure(Where(path, exc.lineno, exc.colno),
                            f"not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise ImportFailure(Where(path), "not valid JSON: nested too deeply") from None
    return Document(path, text, value)


def _decode(path: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ImportFailure(Where(path, line, column), "not UTF-8 text") from None


def _decoder() -> json.JSONDecoder:
    decoder = json.JSONDecoder()

    def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
        pairs, end = json.decoder.JSONObject(s_and_end, strict, scan_once, None, list, memo)
        return JsonObject(pairs, s_and_end[1] - 1), end

    decoder.parse_object = parse_object
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    return decoder


def compact(value: object, limit: int = 120) -> str:
    """A value as one line of JSON, shortened for a comment or a message."""
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
    return text if len(text) <= limit else text[:limit - 3] + "..."
