"""``orchdsl import keboola``, through the installed command: Keboola's JSON in
tests/cases/keboola/ (written from the public formats; the sources are in its README.md)
converted and compared exactly with the golden ``.orch`` and ``.stderr`` files beside it;
every converted file lints clean and dry-runs; input that cannot be converted gets one line
and exit 2."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from orchdsl import lint
from orchdsl.formatting.formatter import format_text

CASES = Path(__file__).resolve().parent / "cases" / "keboola"

# case -> the JSON files converted together; the golden files are <case>.orch, <case>.stderr
CONVERSIONS = [
    pytest.param("legacy-orchestration", ["legacy-orchestration.json"], id="legacy"),
    pytest.param("flow-two-roots", ["flow-two-roots.json"], id="flow-dag-two-roots"),
    pytest.param("flow-strings", ["flow-strings.json"], id="flow-string-ids-and-booleans"),
    pytest.param("conditional-linear", ["conditional-linear.json"], id="conditional-linear"),
    pytest.param("conditional-failure", ["conditional-failure.json"],
                 id="conditional-failure-branch"),
    pytest.param("scheduled", ["flow-scheduled.json", "schedules.json", "schedule-config.json",
                               "subscriptions.json"], id="schedules-and-subscriptions"),
]


def golden(case: str, suffix: str) -> str:
    return (CASES / f"{case}.{suffix}").read_text(encoding="utf-8")


@pytest.mark.parametrize(("case", "files"), CONVERSIONS)
def test_the_conversion_is_the_golden_file(orchdsl, case, files):
    result = orchdsl("import", "keboola", *files, cwd=CASES)
    assert (result.code, result.stderr) == (0, golden(case, "stderr"))
    assert result.stdout == golden(case, "orch")


@pytest.mark.parametrize(("case", "files"), CONVERSIONS)
def test_the_golden_file_lints_clean_in_fmt_layout(case, files):
    text = golden(case, "orch")
    assert [f"{d.span.line} {d.code} {d.message}" for d in lint(text, f"{case}.orch")] == []
    assert format_text(text, f"{case}.orch").text == text


@pytest.mark.parametrize(("case", "files"), CONVERSIONS)
def test_the_written_file_lints_and_dry_runs(orchdsl, tmp_path, case, files):
    out = tmp_path / f"{case}.orch"
    converted = orchdsl("import", "keboola", *files, "-o", out, cwd=CASES)
    assert (converted.code, converted.stdout) == (0, "")
    assert out.read_text(encoding="utf-8") == golden(case, "orch")
    linted = orchdsl("lint", out)
    assert (linted.code, linted.stdout, linted.stderr) == (0, "", "1 file checked: no problems\n")
    planned = orchdsl("run", out, "--dry-run", env={"ORCHDSL_HOME": str(tmp_path / "home")})
    assert planned.code == 0, planned.stderr
    assert planned.stdout.endswith("Dry run: nothing was run.\n")


def test_a_converted_flow_runs_with_a_rehearsal_command(orchdsl, tmp_path):
    out = tmp_path / "try.orch"
    converted = orchdsl("import", "keboola", CASES / "flow-two-roots.json", "--command",
                        "echo {target}", "-o", out)
    assert converted.code == 0
    home = {"ORCHDSL_HOME": str(tmp_path / "home")}
    ran = orchdsl("run", out, env=home)
    assert ran.code == 0, ran.stderr
    assert ran.stdout.splitlines()[-1].startswith('job 1 "Nightly warehouse": success in ')
    logs = orchdsl("logs", "1", "opportunities_model", env=home)
    assert "keboola.snowflake-transformation/704" in logs.stdout


def test_the_task_lines_run_the_keboola_cli_for_each_configuration(orchdsl):
    result = orchdsl("import", "keboola", "flow-two-roots.json", cwd=CASES)
    runs = [line.split(" run ", 1)[1].split("  #")[0] for line in result.stdout.splitlines()
            if line.lstrip().startswith("task ")]
    assert runs == [f'"kbc remote job run --timeout 24h {job}"' for job in (
        "keboola.ex-db-mysql/701", "keboola.ex-google-drive/702", "keboola.ex-google-drive/703",
        "keboola.snowflake-transformation/704", "keboola.wr-tableau/705",
        "keboola.gooddata-writer/706")]


ERRORS = [
    pytest.param(["bad-json.json"], "bad-json.json:4:3: not valid JSON: Expecting value",
                 id="bad-json"),
    pytest.param(["not-a-kind.json"], 'not-a-kind.json:1:1: not a Keboola orchestration, flow, '
                 'schedule or notification subscription (expected "phases" and "tasks", "tasks" '
                 'with "component", "schedule" with "cronTab", or "event" and "recipient")',
                 id="none-of-the-kinds"),
    pytest.param(["cycle.json"], 'cycle.json:4:5: the phases\' "dependsOn" forms a cycle, so they '
                 'have no order: "Transform" (2) -> "Write" (3) -> "Transform" (2) (each depends '
                 "on the next)", id="cycle-in-dependsOn"),
    pytest.param(["schedules.json"], "schedules.json:1:1: no orchestration or flow to convert: "
                 "schedules and notifications need the flow they belong to (give its JSON too)",
                 id="schedules-alone"),
    pytest.param(["flow-two-roots.json", "flow-strings.json"], "flow-strings.json:1:1: a second "
                 "flow (after flow-two-roots.json): convert one at a time", id="two-flows"),
    pytest.param(["no-such.json"], "no-such.json: no such file", id="missing-file"),
]


@pytest.mark.parametrize(("files", "message"), ERRORS)
def test_input_that_cannot_be_converted_gets_one_line_and_exit_2(orchdsl, tmp_path, files,
                                                                 message):
    out = tmp_path / "out.orch"
    out.write_text("kept\n")
    result = orchdsl("import", "keboola", *files, "-o", out, cwd=CASES)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == f"orchdsl import: error: {message}\n"
    assert out.read_text() == "kept\n"
    assert os.listdir(tmp_path) == ["out.orch"]


@pytest.mark.parametrize(("text", "message"), [
    ("42", "<stdin>:1:1: not a Keboola orchestration"),
    ("[]", "<stdin>:1:1: an empty list: nothing to convert"),
    ('[{"event": "job-failed", "recipient": {}}, {"x": 1}]',
     "<stdin>:1:44: a list may hold schedules and notification subscriptions; this item is "
     "neither"),
    ("\xff", "<stdin>:1:1: not UTF-8 text"),
    ("", "<stdin>:1:1: not valid JSON: Expecting value"),
])
def test_standard_input_that_cannot_be_converted(orchdsl, text, message):
    data = text.encode("latin-1") if text == "\xff" else text
    result = orchdsl("import", "keboola", "-", stdin=data)
    assert result.code == 2
    assert result.stderr.startswith(f"orchdsl import: error: {message}")
    assert result.stderr.count("\n") == 1


def test_a_cycle_in_next_transitions_is_an_error(orchdsl):
    flow = ('{"phases": [{"id": "a", "name": "A", "next": [{"id": "1", "goto": "b"}]},\n'
            ' {"id": "b", "name": "B", "next": [{"id": "2", "goto": "a"}]}], "tasks": []}')
    result = orchdsl("import", "keboola", "-", stdin=flow)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == ('orchdsl import: error: <stdin>:1:13: the phases\' "next" forms a '
                             'cycle, so they have no order: "A" (a) -> "B" (b) -> "A" (a) (each '
                             "goes to the next)\n")


def test_standard_input_is_named_in_the_header(orchdsl):
    data = (CASES / "flow-two-roots.json").read_text(encoding="utf-8")
    result = orchdsl("import", "keboola", "-", stdin=data)
    assert result.code == 0
    expected = golden("flow-two-roots", "orch").replace("# flow-two-roots.json:", "# <stdin>:")
    assert result.stdout == expected


def test_a_command_template_replaces_the_keboola_cli(orchdsl):
    result = orchdsl("import", "keboola", "flow-strings.json", "--command",
                     "my-runner {component} {config} --rows {rows} --mode={mode}", cwd=CASES)
    assert result.code == 0
    tasks = [line.strip() for line in result.stdout.splitlines()
             if line.strip().startswith("task ")]
    assert tasks[1] == ('task load   writer run "my-runner keboola.wr-db-snowflake 8813 --rows '
                        '23,24 --mode=run"')
    assert "secret KBC_STORAGE_API_TOKEN" not in result.stdout
    assert "the command template has no {rows}" not in result.stderr
    assert "the command template has no {mode}" not in result.stderr
    assert 'the tag "1.4.2": the command template has no {tag}' in result.stderr


@pytest.mark.parametrize(("template", "message"), [
    ("run {nope}", "unknown placeholder {nope}; the placeholders are {component}, {config}, "
                   "{target}, {tag}, {mode}, {rows}"),
    ("run {", "Single '{' encountered in format string (write {{ and }} for literal braces)"),
    ("  ", "the command is empty"),
])
def test_a_bad_command_template_is_a_usage_error(orchdsl, template, message):
    result = orchdsl("import", "keboola", "flow-strings.json", "--command", template, cwd=CASES)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == (f"orchdsl import: error: --command: {message} "
                             "(see orchdsl import --help)\n")


@pytest.mark.parametrize(("args", "start"), [
    ([], "orchdsl import: error: the following arguments are required: SOURCE, JSON"),
    (["airflow", "dag.json"], "orchdsl import: error: argument SOURCE: invalid choice: 'airflow'"),
    (["keboola", "-", "-"], "orchdsl import: error: '-' (standard input) can be given once"),
])
def test_usage_errors_are_one_line(orchdsl, args, start):
    result = orchdsl("import", *args, stdin="")
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.startswith(start) and result.stderr.count("\n") == 1


def test_output_replaces_a_file_atomically_and_keeps_its_mode(orchdsl, tmp_path):
    out = tmp_path / "nightly.orch"
    out.write_text("old\n")
    out.chmod(0o640)
    result = orchdsl("import", "keboola", CASES / "flow-two-roots.json", "-o", out)
    assert (result.code, result.stdout, result.stderr) == (0, "", "")
    assert out.read_text().startswith("# Converted from Keboola by orchdsl import keboola:\n")
    assert out.stat().st_mode & 0o777 == 0o640
    assert sorted(os.listdir(tmp_path)) == ["nightly.orch"]


def test_output_to_a_missing_folder_is_one_line(orchdsl, tmp_path):
    out = tmp_path / "no" / "such" / "x.orch"
    result = orchdsl("import", "keboola", CASES / "flow-two-roots.json", "-o", out)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == (f"orchdsl import: error: cannot write {out}: No such file or "
                             "directory\n")


def test_output_never_overwrites_an_input(orchdsl, tmp_path):
    source = tmp_path / "flow.json"
    shutil.copy(CASES / "flow-two-roots.json", source)
    result = orchdsl("import", "keboola", source, "-o", source)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == f"orchdsl import: error: {source} is an input file: refusing to " \
                            "overwrite it\n"
    assert source.read_bytes() == (CASES / "flow-two-roots.json").read_bytes()


def test_help_teaches_with_examples(orchdsl):
    result = orchdsl("import", "--help")
    assert result.code == 0
    assert result.stdout.startswith("usage: orchdsl import [-h] [-o FILE] [--command TEMPLATE]\n"
                                    "                      SOURCE JSON [JSON ...]\n")
    assert "examples:\n  orchdsl import keboola flow.json -o nightly.orch\n" in result.stdout
    for placeholder in ("{component}", "{config}", "{target}", "{tag}", "{mode}", "{rows}"):
        assert placeholder in result.stdout
    assert "import" in orchdsl("--help").stdout


def test_the_example_of_the_docs_page_is_the_golden_conversion():
    page = (CASES.parent.parent.parent / "docs" / "import-keboola.md").read_text(encoding="utf-8")
    assert f"```orch\n{golden('flow-two-roots', 'orch')}```" in page
