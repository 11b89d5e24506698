"""``orchdsl run --dry-run`` shows what will run (issue 13, items 16 and 29, and language 1.1):
conditions on phases and tasks, a static matrix's instances with their values, a dynamic
matrix as the task it is until it is reached, the params given to a nested orchestration,
the references filled in only when the job runs, tasks that start after their ``needs``
(never "wave 2"), and values with control characters escaped, through the installed command.
"""

from __future__ import annotations

import json

import pytest

from conftest import EXAMPLES, run_isolated

SECRET = "tok\tsecret-71"


def dry_run(path, *flags, env=None):
    return run_isolated("run", path.name, "--dry-run", *flags, cwd=path.parent, env=env,
                        hide=("TOKEN",))


def section(out: str, first: str, last: str) -> str:
    return out[out.index(first):out.index(last)]


# --- language 1.1 ------------------------------------------------------------------------------

LANDING = '''\
Phase 1/5 "Extract"
  wave 1    list_landed  extractor    run: ./list-landed.sh landing/
  wave 1    orders       extractor    call: extract_orders:pull
                           timeout 10m

Phase 2/5 "Load"
  wave 2    load_file    writer       run: ./load-file.sh ${file}
                           timeout 15m; retries 2 backoff 30s; matrix file from tasks.list_landed.outputs.files: an instance per line, made when the task is reached
  wave 2    load_orders  writer       run: ./load-orders.sh --expect ${tasks.orders.outputs.rows}
                           timeout 15m; when tasks.orders.outputs.rows > 0

Phase 3/5 "Publish"
  wave 3    refresh.eu   application  run: ./refresh-dashboard.sh eu
                           matrix region=eu
  wave 3    refresh.us   application  run: ./refresh-dashboard.sh us
                           matrix region=us

Phase 4/5 "Alert" when failed()
  wave 4    page         application  run: ./page-oncall.sh 'Landing failed in job ${job.id}'

Phase 5/5 "Cleanup" when always()
  wave 5    tidy         application  run: ./archive-landed.sh landing/ --day ${job.fire_date}

Order: 8 of 8 tasks in 5 waves (tasks of a wave run together)
  1: list_landed, orders
  2: load_file, load_orders
  3: refresh.eu, refresh.us
  4: page
  5: tidy

Shown as written, filled in when the job runs: ${file}, ${tasks.orders.outputs.rows}, ${job.id}, ${job.fire_date}
'''


def test_the_landing_example_shows_its_conditions_instances_and_later_values():
    code, out, err = dry_run(EXAMPLES / "landing" / "landing.orch")
    assert (code, err) == (0, "")
    assert section(out, "Phase 1/5", "\nSchedule") == LANDING


V11 = '''\
orchestration "V11" {
    param full = "false"
    phase "Extract" {
        task files extractor run "ls"
        task crm extractor call "steps:pull"
    }
    phase "Load" when params.full == "true" {
        task load writer run "load.sh ${file}"
            matrix file from tasks.files.outputs.list
            env ROWS = "${tasks.crm.outputs.rows}"
        task publish writer run "publish.sh ${region} ${tier}"
            matrix region = ["eu", "us west"]
            matrix tier = ["gold", "silver"]
            when tasks.crm.outputs.rows > 0
    }
    phase "Nested" {
        task child application orchestration "child.orch" param region = "us-${job.fire_date}"
        task after_crm writer run "echo ${job.id}" needs crm
    }
}
'''
CHILD = ('orchestration "Child" {\n    param region = "eu"\n    phase "P" {\n'
         '        task c extractor run "echo ${region}"\n    }\n}\n')

V11_PLAN = '''\
Phase 1/3 "Extract"
  wave 1    files              extractor    run: ls
  wave 1    crm                extractor    call: steps:pull

Phase 2/3 "Load" when params.full == "true" (and no task before failed)
  wave 2    load               writer       run: load.sh ${file}
                                 matrix file from tasks.files.outputs.list: an instance per line, made when the task is reached; env ROWS=${tasks.crm.outputs.rows}
  wave 2    publish.eu.gold    writer       run: publish.sh eu gold
                                 when tasks.crm.outputs.rows > 0; matrix region=eu, tier=gold
  wave 2    publish.eu.silver  writer       run: publish.sh eu silver
                                 when tasks.crm.outputs.rows > 0; matrix region=eu, tier=silver
  wave 2    publish.3          writer       run: publish.sh 'us west' gold
                                 when tasks.crm.outputs.rows > 0; matrix region="us west", tier=gold
  wave 2    publish.4          writer       run: publish.sh 'us west' silver
                                 when tasks.crm.outputs.rows > 0; matrix region="us west", tier=silver

Phase 3/3 "Nested"
  wave 3    child              application  orchestration: child.orch
                                 param region=us-${job.fire_date}
  after     after_crm          writer       run: echo ${job.id}
                                 needs crm

Order: 9 of 9 tasks in 3 waves (tasks of a wave run together)
  1: files, crm
  2: load, publish.eu.gold, publish.eu.silver, publish.3, publish.4
  3: child
  after crm: after_crm

Shown as written, filled in when the job runs: ${file}, ${tasks.crm.outputs.rows}, ${job.fire_date}, ${job.id}

Dry run: nothing was run.
'''


@pytest.fixture
def v11(tmp_path):
    (tmp_path / "child.orch").write_text(CHILD)
    (tmp_path / "steps.py").write_text('def pull():\n    return {"rows": 3}\n')
    path = tmp_path / "v11.orch"
    path.write_text(V11)
    return path


def test_conditions_matrices_nested_params_and_needs_as_text(v11):
    code, out, err = dry_run(v11)
    assert (code, err) == (0, "")
    assert out[out.index("Phase 1/3"):] == V11_PLAN


def test_conditions_matrices_nested_params_and_needs_in_json(v11):
    code, out, err = dry_run(v11, "--format", "json")
    assert (code, err) == (0, "")
    plan = json.loads(out)
    assert [(p["name"], p["when"], p["condition"]) for p in plan["phases"]] == [
        ("Extract", None, None),
        ("Load", 'params.full == "true"', 'when params.full == "true" (and no task before failed)'),
        ("Nested", None, None)]
    tasks = {t["name"]: t for p in plan["phases"] for t in p["tasks"]}
    assert tasks["load"]["matrix"] == [{"name": "file", "values": None,
                                        "source": "tasks.files.outputs.list"}]
    assert tasks["load"]["env"] == {"ROWS": "${tasks.crm.outputs.rows}"}
    assert [(n, t["command"], t["matrix_values"], t["instance_of"], t["when"])
            for n, t in tasks.items() if t["instance_of"]] == [
        ("publish.eu.gold", "publish.sh eu gold", {"region": "eu", "tier": "gold"}, "publish",
         "tasks.crm.outputs.rows > 0"),
        ("publish.eu.silver", "publish.sh eu silver", {"region": "eu", "tier": "silver"},
         "publish", "tasks.crm.outputs.rows > 0"),
        ("publish.3", "publish.sh 'us west' gold", {"region": "us west", "tier": "gold"},
         "publish", "tasks.crm.outputs.rows > 0"),
        ("publish.4", "publish.sh 'us west' silver", {"region": "us west", "tier": "silver"},
         "publish", "tasks.crm.outputs.rows > 0")]
    assert tasks["child"]["params"] == {"region": "us-${job.fire_date}"}
    assert (tasks["after_crm"]["wave"], tasks["after_crm"]["after"]) == (None, ["crm"])
    assert plan["after"] == {"after_crm": ["crm"]}
    assert plan["waves"] == [["files", "crm"], ["load", "publish.eu.gold", "publish.eu.silver",
                                                "publish.3", "publish.4"], ["child"]]
    assert plan["later_values"] == ["${file}", "${tasks.crm.outputs.rows}", "${job.fire_date}",
                                    "${job.id}"]


# --- item 29: a task that starts by needs is not in a wave ---------------------------------------

EARLY = '''\
orchestration "Early" {
    phase "A" {
        task quick run "true"
        task slow run "sleep 1"
    }
    phase "B" {
        task b run "true"
        task early run "true" needs quick
    }
    phase "C" {
        task later run "true" needs early
    }
}
'''


def test_a_task_that_starts_by_needs_is_after_them_not_in_a_wave(tmp_path):
    path = tmp_path / "early.orch"
    path.write_text(EARLY)
    code, out, err = dry_run(path)
    assert (code, err) == (0, "")
    assert section(out, 'Phase 2/3', "Dry run") == '''\
Phase 2/3 "B"
  wave 2    b      -  run: true
  after     early  -  run: true
                     needs quick

Phase 3/3 "C"
  after     later  -  run: true
                     needs early

Order: 5 of 5 tasks in 2 waves (tasks of a wave run together)
  1: quick, slow
  2: b
  after quick: early
  after early: later

'''
    assert "wave 2    early" not in out


# --- item 16: control characters of a value ------------------------------------------------------

HOSTILE = ('orchestration "H" {\n    param p = "x"\n    secret TOKEN\n    phase "P" {\n'
           '        task a run "echo ${p}" env V = "${p}"\n        task b run ["echo", "${p}"]\n'
           '    }\n}\n')


@pytest.mark.parametrize("value, shown", [
    ("\x1b[31mRED\x07", "\\x1b[31mRED\\x07"),
    ("a\nb\tc\r", "a\\nb\\tc\\r"),
    ("\u202eevil", "\\u202eevil"),
    ("\x9b2J", "\\x9b2J"),
])
def test_a_control_character_in_a_param_is_escaped_in_the_text_plan(tmp_path, value, shown):
    path = tmp_path / "h.orch"
    path.write_text(HOSTILE)
    code, out, err = dry_run(path, "--param", f"p={value}", env={"TOKEN": "t0ken-x"})
    assert (code, err) == (0, "")
    assert not any(c in out.replace("\n", "") for c in "\x1b\x07\t\r\u202e\x9b")
    assert f"  params: p={shown}\n" in out
    assert f"run: echo '{shown}'\n" in out and f"env V={shown}" in out
    assert json.loads(run_isolated("run", "h.orch", "--dry-run", "--format", "json", "--param",
                                   f"p={value}", cwd=tmp_path, env={"TOKEN": "t0ken-x"}
                                   ).stdout)["params"] == {"p": value}  # JSON keeps it exactly


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_secret_with_a_control_character_given_as_a_param_is_still_masked(tmp_path, fmt):
    path = tmp_path / "h.orch"
    path.write_text(HOSTILE)
    code, out, err = dry_run(path, "--param", f"p={SECRET}", "--format", fmt,
                             env={"TOKEN": SECRET})
    assert code == 0
    for form in (SECRET, SECRET.replace("\t", "\\t"), json.dumps(SECRET)[1:-1]):
        assert form not in out + err
    assert "***" in out
