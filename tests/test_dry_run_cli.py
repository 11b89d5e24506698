"""``orchdsl run FILE --dry-run`` end to end, through the installed command (LANGUAGE.md 6, 7):
the plan for every example, nothing run, the selection flags, ``--param``, secrets."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest

from conftest import Result  # tests/ is on sys.path
from conftest import orchdsl_executable as executable

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
WAREHOUSE = EXAMPLES / "nightly-warehouse" / "nightly-warehouse.orch"
SECRET_VALUE = "s3cr3t-value"


def orchdsl(*args, cwd=None, env=None) -> Result:
    environment = {k: v for k, v in os.environ.items() if k not in ("ORCHDSL_DEBUG",)}
    environment.update({"PYTHONUTF8": "1", "NO_COLOR": "1"})
    for name in ("WAREHOUSE_TOKEN", "TOKEN", "ORCHDSL_TEST_UNSET"):  # set only by a test
        environment.pop(name, None)
    environment.update(env or {})
    done = subprocess.run([executable(), *map(str, args)], capture_output=True, cwd=cwd,
                          env=environment, timeout=60)
    return Result(done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8"))


def dry_run(path: Path, *flags, env=None) -> Result:
    """``orchdsl run <file name> --dry-run FLAGS`` from the file's folder."""
    return orchdsl("run", path.name, "--dry-run", *flags, cwd=path.parent, env=env)


def dry_run_json(path: Path, *flags, env=None) -> dict:
    code, out, err = dry_run(path, "--format", "json", *flags, env=env)
    assert code == 0, err
    return json.loads(out)


def selected(plan: dict) -> set[str]:
    return {t["name"] for p in plan["phases"] for t in p["tasks"] if t["selected"]}


# --- every example ---------------------------------------------------------------------------

class Example(NamedTuple):
    path: str
    name: str
    tasks: list[str]
    disabled: set[str]
    waves: int


EXAMPLE_TABLE = [
    Example("hourly-metrics/hourly-metrics.orch", "Hourly metrics",
            ["api_latency", "queue_depth", "summarize", "status_page", "archive"], set(), 3),
    Example("landing/landing.orch", "Landing",
            ["list_landed", "orders", "load_file", "load_orders", "refresh.eu", "refresh.us",
             "page", "tidy"], set(), 5),
    Example("ml-retrain/ml-retrain.orch", "Churn model retrain",
            ["usage", "labels", "features", "data_profile", "train", "register_model",
             "model_card", "deploy", "shadow_deploy"], {"shadow_deploy"}, 5),
    Example("nightly-warehouse/nightly-warehouse.orch", "Nightly warehouse",
            ["orders", "customers", "products", "web_events", "stage_customers", "orders_fact",
             "sessions", "load_warehouse", "partner_export", "cleanup"], set(), 4),
    Example("nightly-warehouse/cleanup.orch", "Warehouse cleanup",
            ["prune_staging", "rotate_logs"], set(), 1),
    Example("opportunities/opportunities.orch", "Opportunities",
            ["user_levels", "crm_db", "tableau_prep", "gooddata_prep", "tableau", "gooddata"],
            set(), 3),
]
EXAMPLE_IDS = [e.path.split("/")[1] for e in EXAMPLE_TABLE]


def test_the_table_covers_every_example():
    found = sorted(str(p.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("*.orch"))
    assert found == sorted(e.path for e in EXAMPLE_TABLE)


@pytest.mark.parametrize("example", EXAMPLE_TABLE, ids=EXAMPLE_IDS)
def test_text_plan_of_every_example(example):
    path = EXAMPLES / example.path
    code, out, err = dry_run(path, env={"WAREHOUSE_TOKEN": "x"})
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f'Plan for "{example.name}" ({path.name})'
    assert lines[-1] == "Dry run: nothing was run."
    states = {m.group(2): m.group(1)
              for m in re.finditer(r"^  (wave \d+|after|disabled|skipped) +([\w.-]+) ", out,
                                   re.M)}
    assert list(states) == example.tasks
    assert {n for n, s in states.items() if s == "disabled"} == example.disabled
    runs = len(example.tasks) - len(example.disabled)
    waves = f"{example.waves} wave" + ("s" if example.waves != 1 else "")
    assert (f"Order: {runs} of {len(example.tasks)} tasks in {waves} "
            "(tasks of a wave run together)") in lines


@pytest.mark.parametrize("example", EXAMPLE_TABLE, ids=EXAMPLE_IDS)
def test_json_plan_of_every_example(example):
    before = datetime.now(timezone.utc)
    plan = dry_run_json(EXAMPLES / example.path)
    assert plan["version"] == 1
    assert plan["orchestration"] == example.name
    assert [t["name"] for p in plan["phases"] for t in p["tasks"]] == example.tasks
    assert selected(plan) == set(example.tasks) - example.disabled
    assert len(plan["waves"]) == example.waves
    # every selected task in a wave, or after the tasks it needs
    assert sorted([n for w in plan["waves"] for n in w] + list(plan["after"])) == sorted(
        selected(plan))
    for schedule in plan["schedules"]:
        fires = [datetime.fromisoformat(f["utc"].replace("Z", "+00:00")) for f in schedule["next"]]
        assert fires == sorted(fires) and len(set(fires)) == len(fires) > 0
        assert fires[0] > before


# --- the plan, exactly -----------------------------------------------------------------------

WAREHOUSE_PLAN = '''\
Plan for "Nightly warehouse" (nightly-warehouse.orch)
  Shop sources into the analytics warehouse every night, then a cleanup run
  concurrency 3, timeout 3h, fail_fast off
  params: run_date=yesterday, schema=analytics
  secrets: WAREHOUSE_TOKEN (set)

Phase 1/4 "Extract"
  wave 1    orders           extractor       run: python3 scripts/extract.py --source orders --date yesterday
                               timeout 20m; retries 2 backoff 1m
  wave 1    customers        extractor       run: python3 scripts/extract.py --source customers --date yesterday
  wave 1    products         extractor       run: python3 scripts/extract.py --source products --date yesterday
  wave 1    web_events       extractor       run: python3 scripts/extract.py --source web_events --date yesterday
                               timeout 45m

Phase 2/4 "Transform"
  after     stage_customers  transformation  run: python3 scripts/stage_customers.py
                               needs customers
  wave 2    orders_fact      transformation  run: python3 scripts/build_orders_fact.py
  wave 2    sessions         transformation  run: python3 scripts/build_sessions.py --gap 30m

Phase 3/4 "Write"
  wave 3    load_warehouse   writer          run: python3 load_warehouse.py --schema analytics
                               timeout 30m; cwd scripts; env PGAPPNAME=orchdsl-nightly-warehouse
  wave 3    partner_export   writer          run: python3 scripts/export_partners.py --date yesterday
                               continue_on_failure; env EXPORT_FORMAT=csv

Phase 4/4 "Cleanup"
  wave 4    cleanup          application     orchestration: cleanup.orch

Order: 10 of 10 tasks in 4 waves (tasks of a wave run together)
  1: orders, customers, products, web_events
  2: orders_fact, sessions
  3: load_warehouse, partner_export
  4: cleanup
  after customers: stage_customers

Schedule "30 4 * * *" in Europe/Berlin (overlap queue, catchup none); next fires:
  <fire>
  <fire>
  <fire>

Notifications (scheduled runs; a manual run notifies only --notify-me):
  error -> data-oncall@example.com, https://hooks.example.com/orch/nightly-warehouse
  warning, fixed -> data-team@example.com

Dry run: nothing was run.
'''

FIRE = re.compile(r"^  (\d{4}-\d\d-\d\dT04:30:00\+0[12]:00)  \((\d{4}-\d\d-\d\d 0[23]:30:00) UTC\)$",
                  re.M)


def test_warehouse_plan_exactly():
    code, out, err = dry_run(WAREHOUSE, env={"WAREHOUSE_TOKEN": SECRET_VALUE})
    assert (code, err) == (0, "")
    assert FIRE.sub("  <fire>", out) == WAREHOUSE_PLAN
    berlin = ZoneInfo("Europe/Berlin")
    for local, utc in FIRE.findall(out):
        fire = datetime.fromisoformat(local)
        assert fire.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S") == utc
        assert fire.astimezone(berlin).utcoffset() == fire.utcoffset()


SMALL_PLAN = '''\
Plan for "Small" (small.orch)
  concurrency unlimited, timeout none, fail_fast off
  params: day=today
  secrets: TOKEN (not set)

Phase 1/3 "Extract"
  wave 1    crm     extractor       run: python3 crm.py --day today
                      timeout 10m; retries 2 backoff 30s
  wave 1    sheet   extractor       run: ["python3", "sheet.py", "--token", "***"]

Phase 2/3 "Transform"
  wave 2    prep    transformation  call: pkg.mod:prepare
  after     early   transformation  run: python3 early.py
                      needs crm

Phase 3/3 "Write"
  wave 3    upload  writer          run: python3 upload.py
                      continue_on_failure; cwd out; env MODE=full
  disabled  old     writer          run: python3 old.py
                      disabled in the file
  wave 3    child   application     orchestration: child.orch

Order: 6 of 7 tasks in 3 waves (tasks of a wave run together)
  1: crm, sheet
  2: prep
  3: upload, child
  after crm: early

Dry run: nothing was run.
'''


def test_small_plan_exactly(small_pipeline):
    # TOKEN is not set: the plan says so, and so does stderr (LANGUAGE.md 7: warnings on stderr)
    assert dry_run(small_pipeline) == (
        0, SMALL_PLAN, "orchdsl run: warning: secret TOKEN is not set: a real run would fail "
                       "before any task starts\n")


def test_small_plan_with_a_selection_exactly(small_pipeline):
    code, out, err = dry_run(small_pipeline, "--skip", "crm", "--phase", "Extract,Transform",
                             env={"TOKEN": SECRET_VALUE})
    assert (code, err) == (0, "")
    tail = out[out.index('Phase 1/3'):out.index("Dry run")]
    assert tail == '''\
Phase 1/3 "Extract"
  skipped   crm     extractor       run: python3 crm.py --day today
                      timeout 10m; retries 2 backoff 30s; skipped (--skip)
  wave 1    sheet   extractor       run: ["python3", "sheet.py", "--token", "***"]

Phase 2/3 "Transform"
  wave 2    prep    transformation  call: pkg.mod:prepare
  wave 1    early   transformation  run: python3 early.py
                      needs crm

Phase 3/3 "Write"
  skipped   upload  writer          run: python3 upload.py
                      continue_on_failure; cwd out; env MODE=full; phase not selected (--phase)
  disabled  old     writer          run: python3 old.py
                      disabled in the file
  skipped   child   application     orchestration: child.orch
                      phase not selected (--phase)

Order: 3 of 7 tasks in 2 waves (tasks of a wave run together)
  1: sheet, early
  2: prep

'''


# --- nothing runs ----------------------------------------------------------------------------

SIDE_EFFECTS = '''\
orchestration "Side effects" {
    schedule "* * * * *"
    phase "A" {
        task shell run "touch CREATED_BY_SHELL"
        task argv run ["touch", "CREATED_BY_ARGV"]
        task imported call "sideeffect:make"
        task nested orchestration "nested.orch"
    }
    phase "B" {
        task later run "touch CREATED_LATER" needs shell
    }
}
'''


@pytest.mark.parametrize("flags", [[], ["--format", "json"], ["--only", "shell,later"]])
def test_a_dry_run_runs_nothing(tmp_path, flags):
    (tmp_path / "side.orch").write_text(SIDE_EFFECTS, encoding="utf-8")
    (tmp_path / "nested.orch").write_text(
        'orchestration "N" { phase "P" { task t run "touch CREATED_BY_NESTED" } }\n',
        encoding="utf-8")
    (tmp_path / "sideeffect.py").write_text(
        "open('CREATED_BY_IMPORT', 'w').close()\n\n"
        "def make():\n    open('CREATED_BY_CALL', 'w').close()\n", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = dry_run(tmp_path / "side.orch", *flags)
    assert (code, err) == (0, "")
    assert "touch CREATED_BY_SHELL" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# --- selection -------------------------------------------------------------------------------

WAREHOUSE_TASKS = {"orders", "customers", "products", "web_events", "stage_customers",
                   "orders_fact", "sessions", "load_warehouse", "partner_export", "cleanup"}


@pytest.mark.parametrize("flags, chosen", [
    ([], WAREHOUSE_TASKS),
    (["--only", "orders"], {"orders"}),
    (["--only", "stage_*,orders"], {"stage_customers", "orders"}),
    (["--only", "orders", "--only", "sessions"], {"orders", "sessions"}),
    (["--only", "orders*"], {"orders", "orders_fact"}),
    (["--skip", "orders*"], WAREHOUSE_TASKS - {"orders", "orders_fact"}),
    (["--skip", "orders,customers", "--skip", "cleanup"],
     WAREHOUSE_TASKS - {"orders", "customers", "cleanup"}),
    (["--phase", "Write"], {"load_warehouse", "partner_export"}),
    (["--phase", "Extract,Cleanup"], {"orders", "customers", "products", "web_events", "cleanup"}),
    (["--phase", "T*"], {"stage_customers", "orders_fact", "sessions"}),
    (["--from-phase", "Write"], {"load_warehouse", "partner_export", "cleanup"}),
    (["--from-phase", "Transform", "--skip", "sessions"],
     {"stage_customers", "orders_fact", "load_warehouse", "partner_export", "cleanup"}),
    (["--phase", "T*", "--only", "*s"], {"stage_customers", "sessions"}),
])
def test_the_dry_run_lists_exactly_the_selected_tasks(flags, chosen):
    plan = dry_run_json(WAREHOUSE, *flags)
    assert selected(plan) == chosen
    assert {n for wave in plan["waves"] for n in wave} | set(plan["after"]) == chosen
    for task in (t for p in plan["phases"] for t in p["tasks"]):
        assert (task["wave"] is not None or bool(task["after"])) == (task["name"] in chosen)
        assert task["state"] == ("selected" if task["name"] in chosen else "skipped")
    code, out, _ = dry_run(WAREHOUSE, *flags)
    in_waves = set(re.findall(r"^  (?:wave \d+|after   ) +(\w+) ", out, re.M))
    assert in_waves == chosen
    assert f"Order: {len(chosen)} of 10 tasks in " in out


def test_disabled_tasks_stay_unselected_whatever_the_flags():
    plan = dry_run_json(EXAMPLES / "ml-retrain/ml-retrain.orch", "--only", "*deploy")
    assert selected(plan) == {"deploy"}
    (shadow,) = [t for p in plan["phases"] for t in p["tasks"] if t["name"] == "shadow_deploy"]
    assert (shadow["state"], shadow["wave"]) == ("disabled", None)
    assert plan["waves"] == [["deploy"]]


def test_a_needs_on_an_unselected_task_counts_as_met():
    plan = dry_run_json(WAREHOUSE, "--only", "stage_customers,sessions")
    assert plan["waves"] == [["stage_customers", "sessions"]]


@pytest.mark.parametrize("flags, message", [
    (["--only", "nothing"], "--only nothing: no task matches"),
    (["--only", "orders,nothing"], "--only nothing: no task matches"),
    (["--skip", "zz*"], "--skip zz*: no task matches"),
    (["--phase", "Load"], "--phase Load: no phase matches"),
    (["--from-phase", "Trasform"], '--from-phase Trasform: no phase matches (did you mean "Transform"?)'),
    (["--param", "nope=1"], "--param nope: no such param (declared: run_date, schema)"),
    (["--param", "run_dat=1"], '--param run_dat: no such param (did you mean "run_date"?)'),
    (["--param", "run_date"], '--param "run_date": expected name=value'),
])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_usage_errors_exit_2_with_one_line(flags, message, fmt):
    assert dry_run(WAREHOUSE, "--format", fmt, *flags) == (
        2, "", f"orchdsl run: error: {message}\n")


def test_unknown_option_exits_2():
    code, out, err = dry_run(WAREHOUSE, "--onyl", "orders")
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1


# --- params ----------------------------------------------------------------------------------

def test_param_overrides_show_in_the_plan():
    plan = dry_run_json(WAREHOUSE, "--param", "run_date=2027-01-01", "--param", "schema=s2")
    assert plan["params"] == {"run_date": "2027-01-01", "schema": "s2"}
    commands = {t["name"]: t["command"] for p in plan["phases"] for t in p["tasks"]}
    assert commands["orders"] == "python3 scripts/extract.py --source orders --date 2027-01-01"
    assert commands["load_warehouse"] == "python3 load_warehouse.py --schema s2"


@pytest.mark.parametrize("value, shown", [
    ("x; touch PWNED", "'x; touch PWNED'"),
    ("$(touch PWNED)", "'$(touch PWNED)'"),
])
def test_a_hostile_param_is_quoted_in_the_plan(value, shown):
    plan = dry_run_json(WAREHOUSE, "--param", f"run_date={value}")
    commands = {t["name"]: t["command"] for p in plan["phases"] for t in p["tasks"]}
    assert commands["orders"] == f"python3 scripts/extract.py --source orders --date {shown}"
    code, out, err = dry_run(WAREHOUSE, "--param", f"run_date={value}")
    assert f"--date {shown}\n" in out
    assert not (WAREHOUSE.parent / "PWNED").exists()


# --- secrets ---------------------------------------------------------------------------------

@pytest.mark.parametrize("flags", [[], ["--format", "json"], ["--only", "load_*"],
                                   ["--format", "json", "--param", "schema=x"]])
def test_a_secret_value_never_appears_in_a_dry_run(flags):
    code, out, err = dry_run(WAREHOUSE, *flags, env={"WAREHOUSE_TOKEN": SECRET_VALUE})
    assert code == 0, err
    assert SECRET_VALUE not in out + err
    # the example reads its secret from the environment (W212); the plan still names it
    assert "WAREHOUSE_TOKEN" in out


def test_the_plan_says_a_secret_is_set_without_its_value():
    plan = dry_run_json(WAREHOUSE, env={"WAREHOUSE_TOKEN": SECRET_VALUE})
    assert plan["secrets"] == [{"name": "WAREHOUSE_TOKEN", "set": True}]
    assert plan["warnings"] == []


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_dry_run_without_the_secret_warns_and_exits_0(fmt):
    code, out, err = dry_run(WAREHOUSE, "--format", fmt)
    assert code == 0, err
    assert "secret WAREHOUSE_TOKEN is not set" in out + err
    if fmt == "json":
        plan = json.loads(out)
        assert plan["secrets"] == [{"name": "WAREHOUSE_TOKEN", "set": False}]
        assert any("WAREHOUSE_TOKEN" in w for w in plan["warnings"])


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_secret_read_through_env_never_appears(tmp_path, fmt):
    """``${env.TOKEN}`` reads the variable the secret TOKEN is read from."""
    path = tmp_path / "s.orch"
    path.write_text('''\
orchestration "S" {
    secret TOKEN
    phase "A" {
        task a run "load --token ${env.TOKEN}"
        task b run ["load", "${env.TOKEN}"] env T = "${env.TOKEN}"
    }
}
''', encoding="utf-8")
    code, out, err = dry_run(path, "--format", fmt, env={"TOKEN": SECRET_VALUE})
    assert code == 0, err
    assert SECRET_VALUE not in out + err


def test_unset_env_variable_warns(tmp_path):
    path = tmp_path / "e.orch"
    path.write_text('orchestration "E" { phase "P" { task t run "echo ${env.ORCHDSL_TEST_UNSET}" } }\n',
                    encoding="utf-8")
    code, out, err = dry_run(path, "--format", "json")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["phases"][0]["tasks"][0]["command"] == "echo ${env.ORCHDSL_TEST_UNSET}"
    assert plan["warnings"] == ["environment variable ORCHDSL_TEST_UNSET is not set: a real run "
                                "would fail before any task starts"]
    # Set, the value is still not shown (it may be a credential that is no declared secret).
    filled = json.loads(dry_run(path, "--format", "json",
                                env={"ORCHDSL_TEST_UNSET": "a b"}).stdout)
    assert filled["phases"][0]["tasks"][0]["command"] == "echo ${env.ORCHDSL_TEST_UNSET}"
    assert filled["warnings"] == []


# --- bad input -------------------------------------------------------------------------------

def test_invalid_file_exits_1(tmp_path):
    path = tmp_path / "bad.orch"
    path.write_text('orchestration "B" {\n    phase "P" {\n        task t run "x" needs nobody\n    }\n}\n',
                    encoding="utf-8")
    code, out, err = dry_run(path)
    assert (code, out) == (1, "")
    assert re.match(r"bad\.orch:3:\d+: error\[E110\]: ", err)


def test_missing_file_exits_2(tmp_path):
    assert orchdsl("run", "nowhere.orch", "--dry-run", cwd=tmp_path) == (
        2, "", "orchdsl run: error: nowhere.orch: no such file\n")


SECRET_VALUE = "supersecretvalue123"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_secret_value_passed_through_a_param_is_masked_in_the_plan(orchdsl, write_orch, fmt):
    path = write_orch('orchestration "S" {\n    secret TOKEN\n    param day = "x"\n'
                      '    phase "P" { task a run "echo ${day} ${TOKEN}" }\n}\n')
    code, out, err = orchdsl("run", path, "--dry-run", "--format", fmt,
                             "--param", f"day={SECRET_VALUE}", env={"TOKEN": SECRET_VALUE})
    assert code == 0, err
    assert SECRET_VALUE not in out + err
    assert "***" in out


@pytest.mark.parametrize("flags, shown", [
    ([], (None, False)),
    (["--concurrency", "2"], (2, False)),
    (["--fail-fast"], (None, True)),
    (["--concurrency", "3", "--fail-fast"], (3, True)),
])
def test_the_plan_shows_the_command_lines_concurrency_and_fail_fast(orchdsl, write_orch, flags,
                                                                     shown):
    path = write_orch('orchestration "O" {\n    phase "P" { task a run "true" }\n}\n')
    code, out, err = orchdsl("run", path, "--dry-run", "--format", "json", *flags)
    assert code == 0, err
    plan = json.loads(out)
    assert (plan["concurrency"], plan["fail_fast"]) == shown
