"""The documentation site: ``mkdocs build --strict`` passes, the command-line page is generated
from the live parsers (every command and option of ``COMMANDS`` is on it), ``orch`` blocks are
coloured by orchdsl's Pygments lexer, and every ``orch`` block of the pages is a whole file
(tests/test_docs.py lints each of them)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from orchdsl.cli.main import COMMANDS
from orchdsl.cli.parsers import commands
from orchdsl.docs_gen import cli_markdown

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"```orch\n(.*?)```", re.S)
# lint-rules.md shows deliberately wrong "Bad" fragments.
PAGES = [p for p in sorted((ROOT / "docs").glob("*.md")) if p.name != "lint-rules.md"]
WITH_EXAMPLES = [ROOT / "README.md", *PAGES]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
                           "-f", ROOT / "mkdocs.yml", "-d", out],
                          capture_output=True, text=True, timeout=300)
    assert (done.returncode, done.stderr) == (0, "")
    return out


def test_the_site_has_every_page_of_the_nav(site):
    for page in ("tutorial", "reference", "language", "cli", "lint-rules", "ci", "editors"):
        assert (site / page / "index.html").is_file(), page
    assert (site / "index.html").is_file()


def test_orch_blocks_are_coloured_by_the_orch_lexer(site):
    tutorial = (site / "tutorial" / "index.html").read_text()
    assert '<span class="kd">orchestration</span>' in tutorial
    assert '<span class="kt">extractor</span>' in tutorial
    assert '<span class="si">${</span><span class="nv">day</span>' in tutorial
    assert ".codehilite .kd" in (site / "css" / "pygments.css").read_text()


@pytest.mark.parametrize("page", [p.stem for p in PAGES])
def test_no_page_but_the_rule_index_has_error_tokens(site, page):
    built = site / ("" if page == "index" else page) / "index.html"
    assert 'class="err"' not in built.read_text()


def test_the_cli_page_has_every_command_and_option_of_the_live_parsers(site):
    page = (site / "cli" / "index.html").read_text()
    for command in commands():
        assert f'id="orchdsl-{command.name}"' in page, command.name
        for option in command.options:
            for flag in option.flags:
                assert flag in page, (command.name, flag)


def test_the_cli_reference_follows_the_commands_table(monkeypatch):
    monkeypatch.setitem(COMMANDS, "completion-copy",
                        ("orchdsl.cli.completion_cmd", "a command added to the table"))
    text = cli_markdown()
    assert "## orchdsl completion-copy\n\nA command added to the table.\n" in text
    assert text.count("usage: orchdsl completion [-h] SHELL") == 2


@pytest.mark.parametrize("page", WITH_EXAMPLES, ids=[p.name for p in WITH_EXAMPLES])
def test_every_orch_block_is_a_whole_file(page):
    """A fragment cannot be linted; fragments go in ``text`` blocks."""
    for block in FENCE.findall(page.read_text()):
        first = next(line for line in block.splitlines() if line.strip())
        assert first.startswith(("orchestration", "#")) and "orchestration" in block, block


@pytest.mark.skipif("fmt" not in COMMANDS, reason="orchdsl fmt is not a command yet (issue 8)")
@pytest.mark.parametrize("page", WITH_EXAMPLES, ids=[p.name for p in WITH_EXAMPLES])
def test_every_orch_block_is_in_the_canonical_layout(page, orchdsl):
    """What the docs show is what ``orchdsl fmt`` writes."""
    for block in FENCE.findall(page.read_text()):
        formatted = orchdsl("fmt", "-", stdin=block)
        assert (formatted.code, formatted.stdout) == (0, block)


# --- the docs extra: what the README tells a user to install builds the site -----------------

def test_the_readme_names_the_docs_extra_and_the_extra_holds_what_the_build_imports():
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    names = {re.split(r"[<>=\[ ]", requirement)[0].lower() for requirement in extras["docs"]}
    assert {"mkdocs", "pygments"} <= names  # mkdocs_hooks.py and codehilite import them
    assert 'pip install ".[docs]"' in (ROOT / "README.md").read_text()


@pytest.mark.slow
def test_a_fresh_environment_with_the_docs_extra_builds_the_site(tmp_path):
    """The README's way: a new virtual environment, ``pip install ".[docs]"``, ``mkdocs
    build`` (nothing of the test extra)."""
    import shutil

    # A copy of what the build reads: pip builds in the source tree, which must stay clean.
    source = tmp_path / "source"
    shutil.copytree(ROOT / "orchdsl", source / "orchdsl",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "docs", source / "docs")
    for name in ("pyproject.toml", "README.md", "mkdocs.yml", "mkdocs_hooks.py"):
        shutil.copy(ROOT / name, source / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=120)
    python = venv / "bin" / "python"
    installed = subprocess.run([python, "-m", "pip", "install", "--quiet", f"{source}[docs]"],
                               capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr
    built = subprocess.run([venv / "bin" / "mkdocs", "build", "--strict", "--quiet", "-f",
                            source / "mkdocs.yml", "-d", tmp_path / "site"],
                           capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert (built.returncode, built.stderr) == (0, "")
    assert (tmp_path / "site" / "lint-rules" / "index.html").is_file()
