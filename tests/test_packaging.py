"""The wheel holds what the source tree holds: every package, and the grammar."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_of_the_source_tree_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    in_tree = {".".join(p.parent.relative_to(ROOT).parts)
               for p in (ROOT / "orchdsl").rglob("__init__.py")}
    assert set(config["packages"]) == in_tree | {"orchdsl._grammar"}
    assert config["package-dir"] == {"orchdsl._grammar": "grammar"}


def test_the_installed_package_loads_its_grammar_from_inside_the_package():
    from importlib import resources

    grammar = resources.files("orchdsl._grammar").joinpath("orch.lark").read_text("utf-8")
    assert "orchestration:" in grammar
