"""docs/outputs-conditions-fanout.md shows what the commands print: its graph, and the lint
reports of the two mistakes it describes, made to its whole file (tests/test_docs.py lints
the file itself; tests/test_docs_site.py checks it is in fmt's layout)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "docs" / "outputs-conditions-fanout.md").read_text(encoding="utf-8")
(WHOLE,) = [b for b in re.findall(r"```orch\n(.*?)```", PAGE, re.S) if "# landing.orch" in b]
LOAD_ORDERS = '''\
        task load_orders writer run "./load-orders.sh --expect ${tasks.orders.outputs.rows}"
            when tasks.orders.outputs.rows > 0
            timeout 15m
'''


def shown(command: str) -> str:
    """The output of a console block of the page that starts with ``$ <command>``; each
    block is checked once."""
    blocks = re.findall(r"```console\n\$ " + re.escape(command) + r"\n(.*?)```", PAGE, re.S)
    assert blocks, command
    return blocks


def in_the_same_phase(text: str) -> str:
    """load_orders moved into the phase of orders, the mistake section 2 shows."""
    text = text.replace(LOAD_ORDERS, "")
    marker = '# returns {"rows": 1234}\n'
    return text.replace(marker, marker + LOAD_ORDERS)


def without_comparison(text: str) -> str:
    return text.replace("when tasks.orders.outputs.rows > 0", "when tasks.orders.outputs.rows")


def test_the_page_shows_the_graph_of_its_file(orchdsl, tmp_path):
    (tmp_path / "landing.orch").write_text(WHOLE, encoding="utf-8")
    result = orchdsl("graph", "landing.orch", cwd=tmp_path)
    assert (result.code, result.stderr) == (0, "")
    assert shown("orchdsl graph landing.orch") == [result.stdout]


@pytest.mark.parametrize("mistake", [in_the_same_phase, without_comparison])
def test_the_page_shows_what_lint_says_of_each_mistake(orchdsl, tmp_path, mistake):
    text = mistake(WHOLE)
    assert text != WHOLE
    (tmp_path / "landing.orch").write_text(text, encoding="utf-8")
    result = orchdsl("lint", "landing.orch", cwd=tmp_path)
    assert result.code == 1
    assert result.stdout in shown("orchdsl lint landing.orch")


def test_the_page_is_in_the_site_navigation():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "  - Outputs, conditions and fan-out: outputs-conditions-fanout.md\n" in nav
