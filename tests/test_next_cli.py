"""``orchdsl next FILE``: fire times merged and sorted, local and UTC (docs/language.md, "Schedules"),
through the installed command."""

from __future__ import annotations

import json

import pytest

TWO_SCHEDULES = """\
orchestration "Nightly" {
    schedule "30 2 * * *" timezone "Europe/Prague"
    schedule "0 6 * * 1-5"
    phase "A" { task a run "true" }
}
"""


def test_fires_are_merged_and_sorted_across_a_spring_forward(orchdsl, write_orch):
    path = write_orch(TWO_SCHEDULES)
    result = orchdsl("next", path, "--from", "2027-03-26T12:00:00Z", "-n", "6")
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == (
        '2027-03-27T02:30:00+01:00  2027-03-27 01:30:00 UTC  "30 2 * * *" timezone "Europe/Prague"\n'
        '2027-03-28T03:00:00+02:00  2027-03-28 01:00:00 UTC  "30 2 * * *" timezone "Europe/Prague"\n'
        '2027-03-29T02:30:00+02:00  2027-03-29 00:30:00 UTC  "30 2 * * *" timezone "Europe/Prague"\n'
        '2027-03-29T06:00:00+00:00  2027-03-29 06:00:00 UTC  "0 6 * * 1-5" timezone "UTC"\n'
        '2027-03-30T02:30:00+02:00  2027-03-30 00:30:00 UTC  "30 2 * * *" timezone "Europe/Prague"\n'
        '2027-03-30T06:00:00+00:00  2027-03-30 06:00:00 UTC  "0 6 * * 1-5" timezone "UTC"\n')


def test_a_repeated_fall_back_time_fires_once(orchdsl, write_orch):
    path = write_orch('orchestration "N" {\n  schedule "30 2 * * *" timezone "Europe/Prague"\n'
                      '  phase "A" { task a run "true" }\n}\n')
    result = orchdsl("next", path, "--from", "2027-10-30T12:00:00+00:00", "-n", "2")
    assert result.stdout.splitlines() == [
        '2027-10-31T02:30:00+02:00  2027-10-31 00:30:00 UTC  "30 2 * * *" timezone "Europe/Prague"',
        '2027-11-01T02:30:00+01:00  2027-11-01 01:30:00 UTC  "30 2 * * *" timezone "Europe/Prague"']


@pytest.mark.parametrize("start", [
    "2027-06-01T06:00:00",          # no offset: UTC
    "2027-06-01T06:00:00Z",
    "2027-06-01T08:00:00+02:00",
    "2027-06-01 06:00",
])
def test_from_is_one_instant_and_fires_are_strictly_after_it(orchdsl, write_orch, start):
    path = write_orch('orchestration "N" {\n  schedule "0 6 * * *"\n'
                      '  phase "A" { task a run "true" }\n}\n')
    result = orchdsl("next", path, "--from", start, "-n", "1")
    assert result.stdout.startswith("2027-06-02T06:00:00+00:00  2027-06-02 06:00:00 UTC")


def test_a_date_alone_is_midnight_utc(orchdsl, write_orch):
    path = write_orch('orchestration "N" {\n  schedule "0 0 * * *"\n'
                      '  phase "A" { task a run "true" }\n}\n')
    assert orchdsl("next", path, "--from", "2027-06-01", "-n", "1").stdout.startswith(
        "2027-06-02T00:00:00+00:00")


def test_default_is_five_fires_from_now(orchdsl, write_orch):
    path = write_orch('orchestration "N" {\n  schedule "*/10 * * * * *"\n'
                      '  phase "A" { task a run "true" }\n}\n')
    lines = orchdsl("next", path).stdout.splitlines()
    assert len(lines) == 5
    assert all(line.split()[0][17:19] in {"00", "10", "20", "30", "40", "50"} for line in lines)


def test_seconds_first_cron(orchdsl, write_orch):
    path = write_orch('orchestration "N" {\n  schedule "15 30 6 * * 1-5" timezone "Asia/Kathmandu"\n'
                      '  phase "A" { task a run "true" }\n}\n')
    result = orchdsl("next", path, "--from", "2027-01-01T00:00:00Z", "-n", "2")
    assert result.stdout.splitlines() == [
        '2027-01-01T06:30:15+05:45  2027-01-01 00:45:15 UTC  "15 30 6 * * 1-5" timezone "Asia/Kathmandu"',
        '2027-01-04T06:30:15+05:45  2027-01-04 00:45:15 UTC  "15 30 6 * * 1-5" timezone "Asia/Kathmandu"']


def test_json(orchdsl, write_orch):
    path = write_orch(TWO_SCHEDULES)
    result = orchdsl("next", path, "--from", "2027-10-30T12:00:00Z", "-n", "2", "--format", "json")
    assert result.code == 0
    assert json.loads(result.stdout) == {
        "version": 1, "file": str(path), "from": "2027-10-30T12:00:00Z",
        "fires": [
            {"local": "2027-10-31T02:30:00+02:00", "utc": "2027-10-31T00:30:00Z",
             "cron": "30 2 * * *", "timezone": "Europe/Prague"},
            {"local": "2027-11-01T02:30:00+01:00", "utc": "2027-11-01T01:30:00Z",
             "cron": "30 2 * * *", "timezone": "Europe/Prague"}]}


def test_agrees_with_the_dry_run(orchdsl, write_orch):
    """The plan lists 3 fires per schedule from now; `next` lists the same instants for each."""
    path = write_orch('orchestration "N" {\n  schedule "17 3 9 * *" timezone "America/Chicago"\n'
                      '  schedule "0 4 * * 0"\n  phase "A" { task a run "true" }\n}\n')
    plan = json.loads(orchdsl("run", path, "--dry-run", "--format", "json").stdout)
    listed = json.loads(orchdsl("next", path, "-n", "20", "--format", "json").stdout)["fires"]
    for schedule in plan["schedules"]:
        mine = [(f["local"], f["utc"]) for f in listed if f["cron"] == schedule["cron"]]
        assert mine[:3] == [(f["local"], f["utc"]) for f in schedule["next"]]


def test_a_file_without_a_schedule_says_so(orchdsl, write_orch):
    path = write_orch('orchestration "N" {\n  phase "A" { task a run "true" }\n}\n')
    result = orchdsl("next", path)
    assert (result.code, result.stdout) == (0, "")
    assert result.stderr == f"orchdsl next: {path} has no schedule: nothing fires\n"


@pytest.mark.parametrize("args, message", [
    (["-n", "0"], "argument -n: must be between 1 and 10000, got 0"),
    (["-n", "x"], "argument -n: expected a whole number, got 'x'"),
    (["-n", "10001"], "argument -n: must be between 1 and 10000, got 10001"),
    (["--from", "tomorrow"], 'argument --from: "tomorrow" is not an ISO 8601 time'),
    (["--from", "2027-13-01"], 'argument --from: "2027-13-01" is not an ISO 8601 time'),
    (["--format", "yaml"], "argument --format: invalid choice"),
])
def test_usage_errors_are_one_line_and_exit_2(orchdsl, write_orch, args, message):
    result = orchdsl("next", write_orch(TWO_SCHEDULES), *args)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.count("\n") == 1 and message in result.stderr


def test_an_invalid_file_prints_diagnostics_and_exits_1(orchdsl, write_orch):
    path = write_orch('orchestration "N" {\n  schedule "0 25 * * *"\n'
                      '  phase "A" { task a run "true" }\n}\n')
    result = orchdsl("next", path)
    assert (result.code, result.stdout) == (1, "")
    assert f"{path}:2:12: error[E103]" in result.stderr


def test_a_missing_file_is_a_usage_error(orchdsl, tmp_path):
    result = orchdsl("next", tmp_path / "nope.orch")
    assert result.code == 2
    assert result.stderr == f"orchdsl next: error: {tmp_path / 'nope.orch'}: no such file\n"


LEAP_DAY = 'orchestration "L" {\n  schedule "0 0 29 2 *"\n  phase "A" { task a run "true" }\n}\n'


@pytest.mark.parametrize("args, shown", [
    (["-n", "10000", "--from", "2026-01-01"], 1933),  # the leap days of 2028..9996
    (["-n", "1", "--from", "9999-12-31T23:59Z"], 0),
])
def test_the_calendar_ends_in_9999_and_next_says_so(orchdsl, write_orch, args, shown):
    result = orchdsl("next", write_orch(LEAP_DAY), *args)
    assert result.code == 0
    assert result.stderr == (f"orchdsl next: only {shown} fire{'s' * (shown != 1)} before the "
                             "end of year 9999\n")
    assert len(result.stdout.splitlines()) == shown


def test_years_before_1000_are_written_with_four_digits(orchdsl, write_orch):
    result = orchdsl("next", write_orch(LEAP_DAY), "-n", "1", "--from", "0001-01-01")
    assert result.stdout == ('0004-02-29T00:00:00+00:00  0004-02-29 00:00:00 UTC  '
                             '"0 0 29 2 *" timezone "UTC"\n')


# --- folders, as the scheduler takes them -----------------------------------------------------

DAILY = ('orchestration "Daily" {\n  schedule "0 6 * * *"\n'
         '  phase "A" { task a run "true" }\n}\n')
PRAGUE = ('orchestration "Prague" {\n  schedule "30 6 * * *" timezone "Europe/Prague"\n'
          '  phase "A" { task a run "true" }\n}\n')
NONE = 'orchestration "Manual" {\n  phase "A" { task a run "true" }\n}\n'


@pytest.fixture
def pipelines(write_orch, tmp_path):
    """pipelines/ with a daily file, a Prague file in a subfolder and one without a schedule."""
    write_orch(DAILY, "pipelines/daily.orch")
    write_orch(PRAGUE, "pipelines/eu/prague.orch")
    write_orch(NONE, "pipelines/manual.orch")
    write_orch("not an orchestration", "pipelines/notes.txt")
    return tmp_path


def test_a_folder_merges_the_fires_of_every_orch_file_below_it(orchdsl, pipelines):
    result = orchdsl("next", "pipelines", "--from", "2027-01-04T00:00Z", "-n", "4", cwd=pipelines)
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == (
        '2027-01-04T06:30:00+01:00  2027-01-04 05:30:00 UTC  "30 6 * * *" timezone '
        '"Europe/Prague"  pipelines/eu/prague.orch\n'
        '2027-01-04T06:00:00+00:00  2027-01-04 06:00:00 UTC  "0 6 * * *" timezone "UTC"  '
        'pipelines/daily.orch\n'
        '2027-01-05T06:30:00+01:00  2027-01-05 05:30:00 UTC  "30 6 * * *" timezone '
        '"Europe/Prague"  pipelines/eu/prague.orch\n'
        '2027-01-05T06:00:00+00:00  2027-01-05 06:00:00 UTC  "0 6 * * *" timezone "UTC"  '
        'pipelines/daily.orch\n')


def test_a_folder_in_json_names_the_files_and_each_fires_file(orchdsl, pipelines):
    result = orchdsl("next", "pipelines", "--from", "2027-01-04T00:00Z", "-n", "2",
                     "--format", "json", cwd=pipelines)
    assert result.code == 0
    assert json.loads(result.stdout) == {
        "version": 1, "from": "2027-01-04T00:00:00Z",
        "files": ["pipelines/daily.orch", "pipelines/manual.orch", "pipelines/eu/prague.orch"],
        "fires": [
            {"local": "2027-01-04T06:30:00+01:00", "utc": "2027-01-04T05:30:00Z",
             "cron": "30 6 * * *", "timezone": "Europe/Prague", "file": "pipelines/eu/prague.orch"},
            {"local": "2027-01-04T06:00:00+00:00", "utc": "2027-01-04T06:00:00Z",
             "cron": "0 6 * * *", "timezone": "UTC", "file": "pipelines/daily.orch"}]}


def test_files_and_folders_mix(orchdsl, pipelines, write_orch):
    write_orch(DAILY.replace('"0 6', '"0 5'), "early.orch")
    result = orchdsl("next", "early.orch", "pipelines/eu", "--from", "2027-01-04T00:00Z", "-n", "2",
                     cwd=pipelines)
    assert [line.rsplit("  ", 1)[1] for line in result.stdout.splitlines()] == [
        "early.orch", "pipelines/eu/prague.orch"]


def test_an_invalid_file_in_a_folder_is_reported_and_the_others_still_listed(orchdsl, pipelines,
                                                                             write_orch):
    write_orch(DAILY.replace("0 6 * * *", "0 25 * * *"), "pipelines/bad.orch")
    result = orchdsl("next", "pipelines", "--from", "2027-01-04T00:00Z", "-n", "1", cwd=pipelines)
    assert result.code == 1
    assert result.stderr.startswith("pipelines/bad.orch:2:12: error[E103]")
    assert result.stdout.endswith("pipelines/eu/prague.orch\n")


def test_a_folder_without_schedules_or_files_says_nothing_fires(orchdsl, write_orch, tmp_path):
    write_orch(NONE, "manual/a.orch")
    write_orch(NONE, "manual/b.orch")
    (tmp_path / "empty").mkdir()
    assert orchdsl("next", "manual", cwd=tmp_path) == (
        0, "", "orchdsl next: none of the 2 files has a schedule: nothing fires\n")
    assert orchdsl("next", "empty", cwd=tmp_path) == (
        0, "", "orchdsl next: no .orch file in empty: nothing fires\n")
