"""The docs agree with the code: the generated rule index is current, and every complete
``orch`` example in the README and docs/ lints clean."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orchdsl.check.linter import lint_source
from orchdsl.check.rules.catalog import markdown

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"```orch\n(.*?)```", re.S)


def test_rule_index_is_generated_from_the_docstrings():
    committed = (ROOT / "docs" / "lint-rules.md").read_text()
    assert committed == markdown(), "run: python -m orchdsl.check.rules.catalog > docs/lint-rules.md"


def _complete_examples():
    # lint-rules.md is left out: its "Bad" examples are wrong on purpose.
    pages = [p for p in sorted((ROOT / "docs").glob("*.md")) if p.name != "lint-rules.md"]
    for path in [ROOT / "README.md", *pages]:
        for number, block in enumerate(FENCE.findall(path.read_text()), 1):
            if block.lstrip().startswith(("orchestration", "#")) and "orchestration" in block:
                yield pytest.param(block, id=f"{path.name}#{number}")


@pytest.mark.parametrize("text", list(_complete_examples()))
def test_complete_examples_in_the_docs_lint_clean(text, tmp_path):
    diagnostics = lint_source(text, str(tmp_path / "example.orch"))
    assert [f"{d.span.line}:{d.span.column} {d.code} {d.message}" for d in diagnostics] == []
