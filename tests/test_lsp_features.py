"""Each feature of ``orchdsl lsp`` on realistic files (copies of ``examples/`` and of the 1.1
file), asked over stdio as an editor asks: hover, completion, definition, references, rename,
the outline, formatting and quick fixes."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone

import pytest
import pytest_asyncio
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from conftest import EXAMPLES, LANGUAGE_1_1
from lsp_client import apply_edits, close, config, diagnostics, initialize, open_file, position
from orchdsl.check.linter import lint_source
from orchdsl.check.rules import all_rules

pytestmark = pytest.mark.asyncio(loop_scope="module")
Doc = types.TextDocumentIdentifier


@pytest_lsp.fixture(config=config(), scope="module")
async def client(lsp_client: LanguageClient):
    await initialize(lsp_client)
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The examples, and the 1.1 file beside the nested file it names."""
    root = tmp_path_factory.mktemp("files")
    shutil.copytree(EXAMPLES, root / "examples")
    (root / "v11").mkdir()
    shutil.copy(LANGUAGE_1_1, root / "v11" / "pipeline.orch")
    (root / "v11" / "archive.orch").write_text(
        'orchestration "Archive" {\n    param day = "today"\n'
        '    phase "A" { task a application run "archive.sh ${day}" }\n}\n')
    return root


@pytest_asyncio.fixture(loop_scope="module")
async def opened(client, files):
    """Open a file (relative to ``files``), wait for its first check; closed afterwards."""
    uris = []

    async def open_(name: str, text: str | None = None):
        path = files / name
        text = path.read_text(encoding="utf-8") if text is None else text
        before = len(client.published)
        uri = open_file(client, path, text)
        uris.append(uri)
        await diagnostics(client, uri, 1, after=before)
        return uri, text

    yield open_
    for uri in uris:
        close(client, uri)


WAREHOUSE = "examples/nightly-warehouse/nightly-warehouse.orch"
METRICS = "examples/hourly-metrics/hourly-metrics.orch"
V11 = "v11/pipeline.orch"


async def hover(client, uri, text, needle, after=0, occurrence=1) -> str | None:
    found = await client.text_document_hover_async(types.HoverParams(
        Doc(uri), position(text, needle, after, occurrence)))
    return found.contents.value if found else None


# -- hover -------------------------------------------------------------------------------------

async def test_hover_on_a_task_shows_its_kind_options_and_resolved_command(client, opened):
    uri, text = await opened(WAREHOUSE)
    shown = await hover(client, uri, text, "orders     extractor")
    assert shown.startswith('**task** `orders` · extractor · phase "Extract"')
    assert "python3 scripts/extract.py --source orders --date yesterday" in shown
    assert "options: `retries 2 backoff 1m` · `timeout 20m`" in shown
    assert await hover(client, uri, text, "needs customers", after=6) == await hover(
        client, uri, text, "customers  extractor")  # a needs names the same task


async def test_hover_shows_matrix_values_as_written_and_a_params_default(client, opened):
    uri, text = await opened(V11)
    shown = await hover(client, uri, text, "regions  writer")
    assert "publish.sh ${region} ${tier}" in shown
    shown = await hover(client, uri, text, "full_refresh", occurrence=2)
    assert shown.startswith('**param** `full_refresh` = `"false"`')


async def test_hover_on_a_schedule_gives_its_next_three_fires_in_its_zone(client, opened):
    from orchdsl.scheduling.cron import next_fires, zone

    uri, text = await opened(WAREHOUSE)
    before = datetime.now(timezone.utc)
    shown = await hover(client, uri, text, '"30 4 * * *"', after=2)
    after = datetime.now(timezone.utc)
    expected = [[f"- {f.isoformat()} ({f.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} UTC)"
                 for f in next_fires("30 4 * * *", zone("Europe/Berlin"), moment, 3)]
                for moment in (before, after)]
    lines = shown.split("\n")
    assert lines[0] == "**schedule** `30 4 * * *` in Europe/Berlin"
    assert lines[-3:] in expected


async def test_hover_on_a_code_in_an_ignore_comment_explains_the_rule(client, opened):
    text = ('orchestration "x" {\n    phase "E" {\n'
            '        task a extractor run "x" disabled  # orchdsl: ignore[W205]\n    }\n}\n')
    uri, _ = await opened("ignore.orch", text)
    shown = await hover(client, uri, text, "W205", after=2)
    assert shown.startswith(all_rules()["W205"].explain())
    assert shown.endswith("lint-rules.md#w205)")


# -- completion --------------------------------------------------------------------------------

async def complete(client, uri, text, marked: str) -> dict[str, types.CompletionItem]:
    """The items at the ``|`` of ``marked``, a piece of ``text``."""
    at = position(text, marked.replace("|", ""), after=marked.index("|"))
    found = await client.text_document_completion_async(types.CompletionParams(Doc(uri), at))
    return {item.label: item for item in found.items}


async def typed(client, uri, text: str, version: int):
    from lsp_client import replace_all

    replace_all(client, uri, version, text)
    await diagnostics(client, uri, version)


async def test_completion_of_needs_offers_the_tasks_of_earlier_phases(client, opened):
    uri, text = await opened(WAREHOUSE)
    items = await complete(client, uri, text, "needs |customers")
    assert set(items) == {"orders", "customers", "products", "web_events"}
    assert items["orders"].detail == 'extractor task of phase "Extract"'


async def test_completion_where_a_keyword_or_kind_may_stand(client, opened, files):
    uri, text = await opened(WAREHOUSE)
    assert set(await complete(client, uri, text, "    |concurrency 3")) == {
        "description", "schedule", "notify", "concurrency", "timeout", "fail_fast", "param",
        "secret", "phase"}
    assert set(await complete(client, uri, text, "        |task orders")) == {"task"}
    assert set(await complete(client, uri, text, "task orders     |extractor")) == {
        "extractor", "transformation", "writer", "application", "run", "call",
        "orchestration"}
    options = await complete(client, uri, text, '--date ${run_date}"\n            |retries')
    assert {"retries", "timeout", "needs", "when", "env", "matrix", "task"} <= set(options)
    assert set(await complete(client, uri, text, "notify |warning")) == {
        "error", "warning", "success", "processing", "fixed"}


async def test_completion_of_params_in_an_interpolation(client, opened):
    uri, text = await opened(WAREHOUSE)
    items = await complete(client, uri, text, "--date ${|run_date}")
    assert {"run_date", "schema", "WAREHOUSE_TOKEN", "env.", "tasks.", "job."} <= set(items)
    assert items["run_date"].detail == 'param, default "yesterday"'
    assert items["run_date"].text_edit.new_text == "run_date"


async def test_completion_of_outputs_a_task_is_known_to_set(client, opened):
    uri, text = await opened(V11)
    changed = text.replace('when tasks.crm.outputs.rows > 0', 'when tasks.crm.outputs.rows > 0'
                           ' and tasks.list_files.outputs.count != "0"')
    await typed(client, uri, changed, 2)
    items = await complete(client, uri, changed, "${tasks.crm.outputs.|rows}")
    assert {"tasks.crm.outputs.rows", "tasks.list_files.outputs.count",
            "tasks.list_files.outputs.files"} == set(items)
    conditions = await complete(client, uri, changed, "when not (|tasks.crm.state")
    assert {"tasks.", "params.", "succeeded()", "failed()", "always()", "not"} <= set(conditions)
    arguments = await complete(client, uri, changed, "failed(|list_files)")
    assert set(arguments) == {"list_files", "crm", '"Extract"'}


async def test_completion_of_a_call_tasks_returned_keys(client, opened):
    uri, text = await opened(METRICS)
    changed = text.replace('task archive     writer run "sh collect/archive.sh"',
                           'task archive     writer run "sh collect/archive.sh ${tasks.}"')
    await typed(client, uri, changed, 2)
    items = await complete(client, uri, changed, "archive.sh ${tasks.|}")
    assert {"tasks.summarize.outputs.samples", "tasks.summarize.outputs.latency_ms"} <= set(items)


async def test_completion_of_zones_in_a_timezone_string(client, opened):
    uri, text = await opened(WAREHOUSE)
    items = await complete(client, uri, text, 'timezone "Europe/|Berlin"')
    assert "Europe/Prague" in items and "America/New_York" in items
    edit = items["Europe/Prague"].text_edit
    assert (edit.new_text, edit.range.start) == ("Europe/Prague", position(text, "Europe/Berlin"))


async def test_completion_of_rule_codes_in_an_ignore_comment(client, opened):
    text = ('orchestration "x" {\n    phase "E" {\n'
            '        task a extractor run "x" disabled  # orchdsl: ignore[W2]\n    }\n}\n')
    uri, _ = await opened("ignore-codes.orch", text)
    items = await complete(client, uri, text, "ignore[W2|]")
    assert items["W205"].detail == "disabled-task" and "E001" in items


# -- navigation --------------------------------------------------------------------------------

async def definition(client, uri, text, needle, after=0, occurrence=1):
    return await client.text_document_definition_async(types.DefinitionParams(
        Doc(uri), position(text, needle, after, occurrence)))


@pytest.mark.parametrize("needle, after, target", [
    ("needs customers", 6, "customers  extractor"),
    ("${run_date}", 2, "run_date ="),
    ("${tasks.crm.outputs.rows}", 8, "crm        extractor"),
    ("failed(list_files)", 7, "list_files extractor"),
    ("params.full_refresh", 7, "full_refresh ="),
    ("${region}", 2, "region = ["),  # a matrix name
])
async def test_definition_of_tasks_params_and_matrix_names(client, opened, needle, after,
                                                          target):
    uri, text = await opened(WAREHOUSE if needle in ("needs customers", "${run_date}") else V11)
    (found,) = await definition(client, uri, text, needle, after)
    assert (found.uri, found.range.start) == (uri, position(text, target))


async def test_definition_of_a_nested_file_and_of_a_param_passed_to_it(client, opened, files):
    from lsp_client import uri_of

    uri, text = await opened(V11)
    (found,) = await definition(client, uri, text, '"archive.orch"', after=1)
    assert (found.uri, found.range.start) == (uri_of(files / "v11" / "archive.orch"),
                                              types.Position(0, 0))
    (found,) = await definition(client, uri, text, "param day", after=6)
    assert (found.uri, found.range.start) == (uri_of(files / "v11" / "archive.orch"),
                                              types.Position(1, 10))


async def test_references_of_a_task_everywhere_the_file_names_it(client, opened):
    uri, text = await opened(V11)
    found = await client.text_document_references_async(types.ReferenceParams(
        text_document=Doc(uri), position=position(text, "crm        extractor"),
        context=types.ReferenceContext(include_declaration=True)))
    lines = sorted((r.range.start.line, r.range.start.character) for r in found)
    assert len(lines) == 4 and all(text.split("\n")[ln][ch:ch + 3] == "crm" for ln, ch in lines)


# -- rename ------------------------------------------------------------------------------------

async def rename(client, uri, text, needle, new, occurrence=1):
    return await client.text_document_rename_async(types.RenameParams(
        Doc(uri), position(text, needle, occurrence=occurrence), new))


@pytest.mark.parametrize("name, needle, old, new", [
    (WAREHOUSE, "customers  extractor", "customers", "crm_customers"),  # needs
    (V11, "crm        extractor", "crm", "crm_pull"),  # outputs, conditions, state
    (V11, "list_files extractor", "list_files", "listing"),  # matrix from, failed(...)
])
async def test_a_rename_gives_a_file_that_lints_clean(client, opened, files, name, needle, old,
                                                     new):
    uri, text = await opened(name)
    assert lint_source(text, str(files / name)) == []
    result = await rename(client, uri, text, needle, new)
    (change,) = result.document_changes
    renamed = apply_edits(text, change.edits)
    assert lint_source(renamed, str(files / name)) == []
    assert len(change.edits) >= 2 and renamed.count(new) - text.count(new) == len(change.edits)


async def test_a_rename_that_would_break_the_file_is_refused(client, opened):
    uri, text = await opened(WAREHOUSE)
    for new, why in [("orders", 'the file already has a task "orders"'),
                     ("needs", '"needs" is a reserved word and cannot name a task'),
                     ("2x", '"2x" is not a task name')]:
        with pytest.raises(Exception, match=why):
            await rename(client, uri, text, "customers  extractor", new)
    prepared = await client.text_document_prepare_rename_async(types.PrepareRenameParams(
        Doc(uri), position(text, "run_date", occurrence=2)))
    assert prepared is None  # a param is not renamed: call tasks and --param name it too


# -- outline, formatting, quick fixes ----------------------------------------------------------

async def test_the_outline_has_the_phases_and_their_tasks(client, opened):
    uri, text = await opened(WAREHOUSE)
    (root,) = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        Doc(uri)))
    assert root.name == "Nightly warehouse"
    phases = [s for s in root.children if s.kind == types.SymbolKind.Namespace]
    assert [(p.name, [t.name for t in p.children]) for p in phases] == [
        ("Extract", ["orders", "customers", "products", "web_events"]),
        ("Transform", ["stage_customers", "orders_fact", "sessions"]),
        ("Write", ["load_warehouse", "partner_export"]), ("Cleanup", ["cleanup"])]
    assert {s.name for s in root.children if s.kind == types.SymbolKind.Variable} == {
        "run_date", "schema"}


async def test_formatting_gives_what_orchdsl_fmt_gives(client, opened):
    from orchdsl.formatting.formatter import format_text

    messy = 'orchestration "x" {\nphase "E" {\ntask a   extractor run "x"   # why\n}\n}\n'
    uri, _ = await opened("messy.orch", messy)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        Doc(uri), types.FormattingOptions(tab_size=4, insert_spaces=True)))
    assert apply_edits(messy, edits) == format_text(messy).text != messy
    broken = messy.replace("extractor", "extrator")
    uri, _ = await opened("broken-format.orch", broken)
    assert list(await client.text_document_formatting_async(types.DocumentFormattingParams(
        Doc(uri), types.FormattingOptions(tab_size=4, insert_spaces=True)))) == []


@pytest.mark.parametrize("before, after", [
    ('task a extrator run "x"', 'task a extractor run "x"'),
    ('phase "🚀 E" { task a extrator run "x" }', 'phase "🚀 E" { task a extractor run "x" }'),
])
async def test_a_quick_fix_corrects_a_typo_d_kind(client, opened, before, after):
    text = (f'orchestration "x" {{\n    phase "Z" {{ task y extractor run "y"\n'
            f'                task z extractor run "z" }}\n    {before}\n}}\n')
    if not before.startswith("phase"):
        text = text.replace(f"    {before}\n", f'    phase "E" {{\n        {before}\n    }}\n')
    uri, _ = await opened("kind.orch", text)
    shown = client.diagnostics[uri]
    (action,) = await client.text_document_code_action_async(types.CodeActionParams(
        Doc(uri), shown[0].range, types.CodeActionContext(diagnostics=shown)))
    assert (action.title, action.kind, action.is_preferred) == (
        'change to "extractor" (E001)', types.CodeActionKind.QuickFix, True)
    (change,) = action.edit.document_changes
    fixed = apply_edits(text, change.edits)
    assert after in fixed and lint_source(fixed, "kind.orch") == []
