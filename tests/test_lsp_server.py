"""``orchdsl lsp`` driven over stdio as an editor drives it: diagnostics appear and clear as a
buffer changes, carry the buffer's version, follow the unsaved text (also of a nested file
open in another buffer), count columns in UTF-16, and are cleared when the buffer closes.
One server for the module; each test opens files of its own."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_client import (close, config, diagnostics, edit, initialize, open_file, position,
                        replace_all, uri_of)

pytestmark = pytest.mark.asyncio(loop_scope="module")

CLEAN = """\
orchestration "Shop" {
    notify error to "ops@example.com"
    phase "Extract" {
        task orders extractor run "python3 extract.py orders"
    }
    phase "Load" {
        task load writer run "python3 load.py" needs orders
    }
}
"""
TYPO = CLEAN.replace("task orders extractor", "task orders extrator")


@pytest_lsp.fixture(config=config(), scope="module")
async def client(lsp_client: LanguageClient):
    await initialize(lsp_client)
    yield
    await lsp_client.shutdown_session()


def shown(found: list[types.Diagnostic]) -> list[tuple]:
    return [(d.code, d.range.start.line, d.range.start.character, d.range.end.character)
            for d in found]


async def test_diagnostics_appear_and_clear_as_the_buffer_changes(client, tmp_path):
    path = tmp_path / "shop.orch"
    path.write_text(CLEAN)
    uri = open_file(client, path)
    assert await diagnostics(client, uri, 1) == []
    replace_all(client, uri, 2, TYPO)
    (typo,) = await diagnostics(client, uri, 2)
    assert shown([typo]) == [("E001", 3, 20, 28)]
    assert typo.severity == types.DiagnosticSeverity.Error and typo.source == "orchdsl"
    assert typo.message.endswith('\nhelp: did you mean "extractor"?')
    assert typo.code_description.href == ("https://github.com/orchdsl/orchdsl/blob/main/docs/"
                                          "lint-rules.md#e001")
    replace_all(client, uri, 3, CLEAN)
    assert await diagnostics(client, uri, 3) == []
    close(client, uri)
    assert await diagnostics(client, uri, None) == []


async def test_warnings_and_notes_as_lint_reports_them(client, tmp_path):
    text = CLEAN.replace('    notify error to "ops@example.com"\n',
                         '    schedule "0 6 * * *"\n').replace("needs orders", "needs orders\n"
                                                               "        task load writer run \"x\"")
    uri = open_file(client, tmp_path / "x.orch", text)
    found = await diagnostics(client, uri, 1)
    assert [(d.code, d.severity) for d in found] == [
        ("W204", types.DiagnosticSeverity.Warning), ("E101", types.DiagnosticSeverity.Error)]
    (note,) = found[1].related_information
    assert (note.message, note.location.uri, note.location.range.start) == (
        "first defined here", uri, position(text, "load writer"))
    close(client, uri)


async def test_quick_changes_publish_only_the_last_version(client, tmp_path):
    uri = open_file(client, tmp_path / "quick.orch", CLEAN)
    await diagnostics(client, uri, 1)
    before = len(client.published)
    for version in range(2, 11):  # typing: nine changes well within the debounce
        replace_all(client, uri, version, TYPO if version % 2 else CLEAN)
    assert shown(await diagnostics(client, uri, 10, after=before)) == []
    replace_all(client, uri, 11, TYPO)
    assert shown(await diagnostics(client, uri, 11, after=before)) == [("E001", 3, 20, 28)]
    versions = [p.version for p in client.published[before:] if p.uri == uri]
    assert versions == [10, 11]
    close(client, uri)


async def test_the_unsaved_buffer_is_checked_not_the_file(client, tmp_path):
    path = tmp_path / "unsaved.orch"
    path.write_text(TYPO)
    uri = open_file(client, path, CLEAN)
    assert await diagnostics(client, uri, 1) == []
    close(client, uri)


async def test_a_column_after_emoji_counts_utf16_units(client, tmp_path):
    text = CLEAN.replace('phase "Extract" {\n        task orders extractor',
                         'phase "🚀 Extract 🚀" { task orders extrator')
    uri = open_file(client, tmp_path / "emoji.orch", text)
    (typo,) = await diagnostics(client, uri, 1)
    start = position(text, "extrator")
    assert (typo.range.start, typo.range.end.character) == (start, start.character + 8)
    assert start.character == 40  # 38 code points: each 🚀 is two UTF-16 units
    close(client, uri)


async def test_incremental_changes_after_emoji_land_where_the_editor_put_them(client, tmp_path):
    text = CLEAN.replace('"python3 extract.py orders"', '"🚀 python3 extract.py orders"')
    uri = open_file(client, tmp_path / "incremental.orch", text)
    assert await diagnostics(client, uri, 1) == []
    at = position(text, '"\n    }\n    phase "Load"')  # the closing quote, after the emoji
    edit(client, uri, 2, (at.line, at.character + 1), (at.line, at.character + 1),
         " retries2")
    (spacing,) = await diagnostics(client, uri, 2)
    assert spacing.message.endswith('help: put a space after "retries": retries 2')
    assert (spacing.range.start.line, spacing.range.start.character) == (
        at.line, at.character + 2)
    edit(client, uri, 3, (at.line, at.character + 9), (at.line, at.character + 9), " ")
    assert await diagnostics(client, uri, 3) == []
    close(client, uri)


PARENT = """\
orchestration "Parent" {
    notify error to "ops@example.com"
    phase "Run" {
        task child application orchestration "child.orch"
    }
}
"""
CHILD = 'orchestration "Child" {\n    phase "A" { task a application run "x" }\n}\n'


async def test_a_nested_file_open_in_another_buffer_is_checked_as_it_is_there(client, tmp_path):
    (tmp_path / "parent.orch").write_text(PARENT)
    (tmp_path / "child.orch").write_text(CHILD)
    parent = open_file(client, tmp_path / "parent.orch")
    assert await diagnostics(client, parent, 1) == []
    before = len(client.published)
    child = open_file(client, tmp_path / "child.orch", CHILD.replace("task a", "tsk a"))
    assert shown(await diagnostics(client, child, 1)) == [("E001", 1, 16, 19)]
    (nested,) = await diagnostics(client, parent, 1, after=before)
    assert nested.code == "E108" and 'nested orchestration "child.orch" has 1 error' in \
        nested.message
    before = len(client.published)
    replace_all(client, child, 2, CHILD)
    assert await diagnostics(client, child, 2) == []
    assert await diagnostics(client, parent, 1, after=before) == []
    before = len(client.published)
    replace_all(client, child, 3, CHILD.replace("task a", "tsk a"))
    await diagnostics(client, child, 3)
    await diagnostics(client, parent, 1, after=before)
    before = len(client.published)
    close(client, child)  # the file on disk is fine
    assert await diagnostics(client, parent, 1, after=before) == []
    close(client, parent)


async def test_closing_clears_and_reopening_checks_again(client, tmp_path):
    path = tmp_path / "reopen.orch"
    uri = open_file(client, path, TYPO)
    assert len(await diagnostics(client, uri, 1)) == 1
    close(client, uri)
    assert await diagnostics(client, uri, None) == []
    before = len(client.published)
    assert uri_of(path) == open_file(client, path, CLEAN)
    assert await diagnostics(client, uri, 1, after=before) == []
    close(client, uri)


async def test_a_request_on_a_file_that_is_not_open_gets_no_answer(client, tmp_path):
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri_of(tmp_path / "never.orch")), types.Position(0, 0)))
    assert hover is None
