"""docs/reference.md's summary of the lint codes names every code there is, once, and no other
(the rule index, docs/lint-rules.md, is generated; this table is written by hand)."""

from __future__ import annotations

import re
from pathlib import Path

from orchdsl.check.rules import all_rules

ROOT = Path(__file__).resolve().parent.parent


def test_the_reference_summarizes_every_lint_code_once():
    text = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| ([EW]\d{3}(?:, [EW]\d{3})*) \|", text, re.M)
    codes = [code for row in rows for code in row.split(", ")]
    assert sorted(codes) == sorted({*all_rules(), "E117"})  # E117 is fmt's, explained by lint
