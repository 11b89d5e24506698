"""orchdsl's code-point columns and LSP's code units, both ways (orchdsl.lsp.positions)."""

from __future__ import annotations

import pytest

from orchdsl.lang.parser import parse
from orchdsl.lsp.positions import UTF8, UTF16, UTF32, LineIndex, code_points, units

# text, encoding, code units
UNITS = [
    ("task", UTF16, 4),
    ("é", UTF16, 1), ("é", UTF8, 2), ("é", UTF32, 1),
    ("🚀", UTF16, 2), ("🚀", UTF8, 4), ("🚀", UTF32, 1),
    ("数据", UTF16, 2), ("数据", UTF8, 6),
    ('"🚀 é" x', UTF16, 8),
]


@pytest.mark.parametrize("text, encoding, expected", UNITS)
def test_units(text, encoding, expected):
    assert units(text, encoding) == expected


# line, LSP character, encoding, code-point index
CODE_POINTS = [
    ('a "🚀" b', 0, UTF16, 0),
    ('a "🚀" b', 3, UTF16, 3),  # before the emoji
    ('a "🚀" b', 5, UTF16, 4),  # after it: two UTF-16 units
    ('a "🚀" b', 4, UTF16, 4),  # between its halves: after it
    ('a "🚀" b', 8, UTF16, 7),
    ('a "🚀" b', 99, UTF16, 7),  # past the end: the end
    ('a "🚀" b', 7, UTF8, 4),
    ('a "🚀" b', 4, UTF32, 4),
    ("é b", 2, UTF16, 2),
]


@pytest.mark.parametrize("line, character, encoding, expected", CODE_POINTS)
def test_code_points(line, character, encoding, expected):
    assert code_points(line, character, encoding) == expected


@pytest.mark.parametrize("encoding", [UTF16, UTF8, UTF32])
@pytest.mark.parametrize("text", ["a\nb🚀c\n\ndé\n", "x\r\n🚀y\r\nz", "🚀", ""])
def test_offsets_and_positions_round_trip(text, encoding):
    lines = LineIndex(text, encoding)
    for offset in range(len(text) + 1):
        if text[offset - 1:offset + 1] == "\r\n":
            continue  # between \r and \n: not a position an editor has
        assert lines.offset(lines.position(offset)) == offset


SOURCE = 'orchestration "🚀 x" {\n    phase "é" { task a extrator run "数据 🚀" }\n}\n'


def test_a_span_after_emoji_becomes_utf16_characters():
    (diagnostic,) = parse(SOURCE, "x.orch").diagnostics
    span = diagnostic.span  # "extrator": code points 24 to 32 (1-based, end exclusive)
    assert (span.line, span.column, span.end_column) == (2, 24, 32)
    assert LineIndex(SOURCE).range(span) == ((1, 23), (1, 31))  # é is one UTF-16 unit
    emoji = SOURCE.replace('"é"', '"🚀"')
    (diagnostic,) = parse(emoji, "x.orch").diagnostics
    assert (diagnostic.span.column, diagnostic.span.end_column) == (24, 32)
    assert LineIndex(emoji).range(diagnostic.span) == ((1, 24), (1, 32))  # 🚀 is two
    assert LineIndex(emoji, UTF8).range(diagnostic.span) == ((1, 26), (1, 34))  # and 4 bytes


def test_columns_are_the_parsers_own():
    lines = LineIndex(SOURCE)
    assert lines.columns((1, 23)) == (2, 24)
    assert lines.at(2, 24) == (1, 23)


def test_a_span_past_the_end_is_clamped():
    lines = LineIndex("ab\ncd")
    assert lines.at(2, 9) == (1, 2)
    assert lines.at(7, 1) == (1, 2)


def test_an_unknown_encoding_is_utf16():
    assert LineIndex("🚀x", "utf-7").position(1) == (0, 2)
