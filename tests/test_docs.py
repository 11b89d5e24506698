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


# Files that a user reads or that print what a user reads. They cite the project's own
# docs/language.md and docs/reference.md, never the spec outside the repository, which a user
# does not have. (Widen the list as more of the code is cleaned.)
NO_OUTSIDE_SPEC = ["README.md", "docs", "orchdsl/check", "orchdsl/cli/reporters",
                   "orchdsl/cli/graph_formats"]


def _files_below(relative: str):
    path = ROOT / relative
    return [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()
                                                 and "__pycache__" not in p.parts)


@pytest.mark.parametrize("place", NO_OUTSIDE_SPEC)
def test_docs_and_messages_cite_the_projects_own_docs(place):
    citing = [str(p.relative_to(ROOT)) for p in _files_below(place)
              if "LANGUAGE.md" in p.read_text(encoding="utf-8", errors="replace")]
    assert citing == [], "cite docs/language.md or docs/reference.md instead"


# --- the README's lint example is a real file, and prints what the README shows -------------

def _readme_block_after(marker: str) -> str:
    text = (ROOT / "README.md").read_text()
    after = text[text.index(marker) + len(marker):]
    return re.search(r"```\n(.*?)```", after, re.S).group(1)


def test_the_readme_lint_example_prints_exactly_what_the_readme_shows(orchdsl):
    marker = "`orchdsl lint docs/examples/broken.orch` prints:"
    shown = _readme_block_after(marker)
    result = orchdsl("lint", "docs/examples/broken.orch", cwd=ROOT)
    assert (result.code, result.stdout) == (1, shown)


# --- the pins the CI snippets show exist -------------------------------------------------------

PIN = re.compile(r"(?:rev:\s*|uses:\s*[\w.-]+/orchdsl@)(\S+)")


def _tags() -> set[str]:
    import subprocess

    done = subprocess.run(["git", "-C", str(ROOT), "tag"], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip("not a git checkout")
    return set(done.stdout.split())


@pytest.mark.parametrize("page", ["README.md", "docs/ci.md"])
def test_ci_snippets_pin_a_commit_or_a_tag_that_exists(page):
    pins = PIN.findall((ROOT / page).read_text())
    assert pins, "the page shows no pre-commit rev or action pin"
    assert [p for p in pins if p != "<commit>" and p not in _tags()] == []
