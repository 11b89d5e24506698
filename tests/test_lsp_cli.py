"""``orchdsl lsp`` on the command line: its help, and one line with exit 2 when the lsp extra
(pygls) is not installed."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("missing", ["pygls", "lsprotocol"])
def test_without_the_lsp_extra_one_line_says_how_to_get_it(orchdsl, tmp_path, missing):
    # A module of that name that cannot be imported, first on the path: as if not installed.
    (tmp_path / f"{missing}.py").write_text(f"raise ModuleNotFoundError('no {missing}')\n")
    result = orchdsl("lsp", env={"PYTHONPATH": str(tmp_path)}, stdin="")
    assert (result.code, result.stdout) == (2, ""), result.stderr
    assert result.stderr == ('orchdsl lsp: error: the language server needs the lsp extra: '
                             'pip install "orchdsl[lsp]"\n')


def test_the_help_says_what_it_serves_and_how_editors_start_it(orchdsl):
    result = orchdsl("lsp", "--help")
    assert result.code == 0
    assert 'pip install "orchdsl[lsp]"' in result.stdout
    assert "vim.lsp.config('orchdsl', {cmd = {'orchdsl', 'lsp'}" in result.stdout


def test_an_unknown_option_is_a_usage_error(orchdsl):
    result = orchdsl("lsp", "--tcp")
    assert result.code == 2 and result.stderr.startswith("orchdsl lsp: error: unrecognized")


def test_standard_input_at_its_end_stops_the_server(orchdsl):
    result = orchdsl("lsp", stdin="")
    assert (result.code, result.stdout, result.stderr) == (0, "", "")
