"""The wheel holds what the source tree holds: every package, the grammar and the dashboard's
templates and assets."""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_packages_are_found_in_the_tree_and_the_grammar_ships_beside_the_parser():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["packages"]["find"]["include"] == ["orchdsl*"]
    assert config["package-data"]["orchdsl.lang"] == ["*.lark"]
    assert (ROOT / "orchdsl" / "lang" / "orch.lark").is_file()
    shipped = config["package-data"]["orchdsl.web"]
    assets = {str(p.relative_to(ROOT / "orchdsl" / "web"))
              for p in (ROOT / "orchdsl" / "web").rglob("*") if p.suffix in (".html", ".css",
                                                                          ".js", ".svg")}
    assert assets and all(any(Path(a).match(glob) for glob in shipped) for a in assets)


def test_the_installed_distribution_holds_every_package_of_the_tree():
    files = {str(f) for f in importlib.metadata.files("orchdsl") or ()}
    if not any(f.endswith("orchdsl/lang/parser.py") for f in files):
        pytest.skip("an editable install (CI installs the wheel and runs this)")
    in_tree = {str(p.relative_to(ROOT)) for p in (ROOT / "orchdsl").rglob("*.py")}
    assert in_tree <= files
    assert "orchdsl/lang/orch.lark" in files
    in_tree_assets = {str(p.relative_to(ROOT)) for p in (ROOT / "orchdsl" / "web").rglob("*")
                      if p.suffix in (".html", ".css", ".js", ".svg")}
    assert in_tree_assets <= files


def test_the_installed_package_loads_its_grammar_from_inside_the_package():
    from importlib import resources

    grammar = resources.files("orchdsl.lang").joinpath("orch.lark").read_text("utf-8")
    assert "orchestration:" in grammar
