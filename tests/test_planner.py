"""orchdsl.planning (the plan, selection, params) as a dry run shows it (orchdsl.cli.plan_output):
resolved values, selection and waves (docs/language.md). Views are made with an explicit
``environ`` and a fixed ``now``."""

from __future__ import annotations

import os
import shlex
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from orchdsl.compiler import compile_file
from orchdsl.cli.plan_output import render_json, render_text, view
from orchdsl.planning.build import build_plan
from orchdsl.planning.params import ParamError, parse_params
from orchdsl.planning.spec import Selected as TaskState
from orchdsl.planning.selection import Selection, SelectionError

NOW = datetime(2027, 3, 26, 12, 0, tzinfo=timezone.utc)  # a Friday, two days before CEST starts
SECRET_VALUE = "s3cr3t-value"


def compiled_from(tmp_path: Path, text: str, name: str = "x.orch"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return compile_file(str(path))


def plan_of(tmp_path: Path, text: str, *, params=None, selection=Selection(), environ=None):
    plan = build_plan(compiled_from(tmp_path, text), params=params, selection=selection)
    return view(plan, {} if environ is None else environ, NOW)


def declared(tmp_path: Path) -> list[str]:
    return [p.name.text for p in compiled_from(tmp_path, PARAMS).orchestration.params]


def task(plan, name: str):
    (found,) = [t for t in plan.tasks if t.name == name]
    return found


# --- params ----------------------------------------------------------------------------------

PARAMS = '''\
orchestration "P" {
    param day = "today"
    param region = "eu"
    phase "A" {
        task a run "report --day ${day} --region ${region}"
    }
}
'''


def test_params_take_their_defaults_in_declaration_order(tmp_path):
    plan = plan_of(tmp_path, PARAMS)
    assert plan.params == (("day", "today"), ("region", "eu"))
    assert task(plan, "a").command == "report --day today --region eu"


@pytest.mark.parametrize("flags, expected", [
    ([], {}),
    (["day=2027-01-01"], {"day": "2027-01-01"}),
    (["day=a=b"], {"day": "a=b"}),            # only the first = separates
    (["day="], {"day": ""}),                  # an empty value is a value
    (["day=1", "day=2"], {"day": "2"}),       # the last one wins
    (["day=1", "region=us"], {"day": "1", "region": "us"}),
])
def test_parse_params(tmp_path, flags, expected):
    assert parse_params(flags, declared(tmp_path)) == expected


@pytest.mark.parametrize("flag, message", [
    ("nope=1", "--param nope: no such param (declared: day, region)"),
    ("dayy=1", '--param dayy: no such param (did you mean "day"?)'),
    ("day", '--param "day": expected name=value'),
    ("=1", '--param "=1": expected name=value'),
    ("", '--param "": expected name=value'),
])
def test_bad_params_raise_param_error(tmp_path, flag, message):
    with pytest.raises(ParamError) as caught:
        parse_params([flag], declared(tmp_path))
    assert str(caught.value) == message


def test_overrides_replace_defaults(tmp_path):
    plan = plan_of(tmp_path, PARAMS, params={"day": "2027-01-01"})
    assert plan.params == (("day", "2027-01-01"), ("region", "eu"))
    assert task(plan, "a").command == "report --day 2027-01-01 --region eu"


# --- shell quoting ---------------------------------------------------------------------------

QUOTING = '''\
orchestration "Q" {
    param p = "plain"
    phase "A" {
        task shell run "echo ${p}"
        task dq    run "echo \\"${p}\\""
        task sq    run "echo '${p}'"
        task mixed run "echo \\"pre-${p}-post\\" 'a'${p}'b'"
        task cmdsub run "echo \\"$(printf '%s' ${p})\\""
        task argv  run ["echo", "${p}", "--x=${p}"]
        task other run "true" cwd "${p}" env V = "${p}"
    }
}
'''

HOSTILE = ["x; touch PWNED", "$(touch PWNED)", "`touch PWNED`", "it's; touch PWNED",
           'a" ; touch PWNED; echo "', "a' ; touch PWNED; echo '"]


@pytest.mark.parametrize("value, command", [
    ("plain", "echo plain"),
    ("two words", "echo 'two words'"),
    ("x; touch PWNED", "echo 'x; touch PWNED'"),
    ("$(touch PWNED)", "echo '$(touch PWNED)'"),
    ("it's", "echo 'it'\"'\"'s'"),
    ("", "echo ''"),
])
def test_param_values_are_shell_quoted_in_commands(tmp_path, value, command):
    plan = plan_of(tmp_path, QUOTING, params={"p": value})
    assert task(plan, "shell").command == command
    assert shlex.split(task(plan, "shell").command) == ["echo", value]


@pytest.mark.parametrize("value", HOSTILE)
def test_argv_cwd_and_env_take_values_as_they_are(tmp_path, value):
    plan = plan_of(tmp_path, QUOTING, params={"p": value})
    assert task(plan, "argv").argv == ("echo", value, f"--x={value}")
    assert task(plan, "other").env == (("V", value),)
    assert task(plan, "other").cwd == os.path.normpath(os.path.join(str(tmp_path), value))


@pytest.mark.parametrize("name, printed", [
    ("shell", "{}"),
    ("dq", "{}"),
    ("sq", "{}"),
    ("mixed", "pre-{}-post a{}b"),
    ("cmdsub", "{}"),
])
def test_a_param_cannot_inject_shell_syntax(tmp_path, name, printed):
    """The planned command, run by /bin/sh, prints the value unchanged and creates no file,
    wherever the file wrote ``${p}``: bare, in double quotes, in single quotes, inside a word,
    inside ``$(...)``. (The interpolate module promises that a param cannot inject shell
    syntax.)"""
    wrong = []
    for index, value in enumerate(HOSTILE):
        work = tmp_path / f"work{index}"
        work.mkdir()
        command = task(plan_of(tmp_path, QUOTING, params={"p": value}), name).command
        done = subprocess.run(["/bin/sh", "-c", command], cwd=work, capture_output=True,
                              text=True, timeout=10)
        if list(work.iterdir()) or done.stdout != printed.format(value, value) + "\n":
            wrong.append(f"p={value!r}: {command!r} printed {done.stdout!r}, created "
                         f"{sorted(f.name for f in work.iterdir())}")
    assert wrong == []


# --- secrets and the environment -------------------------------------------------------------

SECRETS = '''\
orchestration "S" {
    secret TOKEN
    param p = "v"
    phase "A" {
        task shell run "load --token ${TOKEN} --p ${p}"
        task argv  run ["load", "--token=${TOKEN}"]
        task envs  run "true" env T = "${TOKEN}" env U = "x-${TOKEN}-y" cwd "dir-${TOKEN}"
    }
}
'''

SECRET_VIA_ENV = '''\
orchestration "S" {
    secret TOKEN
    phase "A" {
        task viaenv run "load --token ${env.TOKEN}"
        task viaenv_argv run ["load", "${env.TOKEN}"] env W = "${env.TOKEN}"
    }
}
'''


@pytest.mark.parametrize("environ", [{}, {"TOKEN": SECRET_VALUE}])
def test_secrets_show_as_stars(tmp_path, environ):
    plan = plan_of(tmp_path, SECRETS, environ=environ)
    assert task(plan, "shell").command == "load --token *** --p v"
    assert task(plan, "argv").argv == ("load", "--token=***")
    assert task(plan, "envs").env == (("T", "***"), ("U", "x-***-y"))
    assert task(plan, "envs").cwd == os.path.join(str(tmp_path), "dir-***")


def test_a_secret_read_through_env_is_still_masked(tmp_path):
    """``${env.TOKEN}`` reads the same variable as the declared secret TOKEN: its value is the
    secret's value and must not be shown."""
    plan = plan_of(tmp_path, SECRET_VIA_ENV, environ={"TOKEN": SECRET_VALUE})
    shown = (task(plan, "viaenv").command, task(plan, "viaenv_argv").argv,
             task(plan, "viaenv_argv").env)
    assert SECRET_VALUE not in repr(shown)


def test_a_secret_value_is_nowhere_in_the_rendered_plan(tmp_path):
    plan = plan_of(tmp_path, SECRETS, environ={"TOKEN": SECRET_VALUE})
    environ = {"TOKEN": SECRET_VALUE}
    assert SECRET_VALUE not in render_text(plan.plan, environ, NOW)
    assert SECRET_VALUE not in render_json(plan.plan, environ, NOW)


def test_missing_secret_is_a_warning_not_an_error(tmp_path):
    plan = plan_of(tmp_path, SECRETS, environ={})
    assert plan.secrets == ("TOKEN",)
    assert plan.missing_secrets == ("TOKEN",)
    assert any("secret TOKEN is not set" in w for w in plan.warnings)
    set_plan = plan_of(tmp_path, SECRETS, environ={"TOKEN": SECRET_VALUE})
    assert set_plan.missing_secrets == ()
    assert not any("secret TOKEN" in w for w in set_plan.warnings)


ENV = '''\
orchestration "E" {
    phase "A" {
        task a run "echo ${env.GREETING} ${env.UNSET_ONE}"
        task b run ["echo", "${env.GREETING}"] env G = "${env.GREETING}"
    }
}
'''


def test_env_interpolation_is_shown_as_written(tmp_path):
    """A plan is for showing: ${env.NAME} may hold a credential that is no declared secret,
    so it stays as written (the run reads the environment)."""
    plan = plan_of(tmp_path, ENV, environ={"GREETING": "hello world", "UNSET_ONE": "1"})
    assert task(plan, "a").command == "echo ${env.GREETING} ${env.UNSET_ONE}"
    assert task(plan, "b").argv == ("echo", "${env.GREETING}")
    assert task(plan, "b").env == (("G", "${env.GREETING}"),)
    assert plan.warnings == ()


def test_unset_env_variable_gives_a_warning(tmp_path):
    plan = plan_of(tmp_path, ENV, environ={"GREETING": "hi"})
    assert task(plan, "a").command == "echo ${env.GREETING} ${env.UNSET_ONE}"
    assert plan.warnings == ("environment variable UNSET_ONE is not set: a real run would fail "
                             "before any task starts",)


def test_the_process_environment_is_the_default(tmp_path, monkeypatch):
    monkeypatch.setenv("GREETING", "from-os")
    monkeypatch.setenv("UNSET_ONE", "x")
    plan = view(build_plan(compiled_from(tmp_path, ENV)), os.environ, NOW)
    assert plan.warnings == ()
    monkeypatch.delenv("UNSET_ONE")
    plan = view(build_plan(compiled_from(tmp_path, ENV)), os.environ, NOW)
    assert [w.split(" is not set")[0] for w in plan.warnings] == ["environment variable UNSET_ONE"]


# --- selection -------------------------------------------------------------------------------

SELECT = '''\
orchestration "Sel" {
    phase "Extract" {
        task ex_a extractor run "a"
        task ex_b extractor run "b"
    }
    phase "Transform" {
        task tr_a transformation run "c"
        task tr_b transformation run "d" needs ex_a
    }
    phase "Write" {
        task wr_a writer run "e"
        task wr_b writer run "f" disabled
    }
}
'''
ALL = {"ex_a", "ex_b", "tr_a", "tr_b", "wr_a"}


@pytest.mark.parametrize("flags, selected", [
    ({}, ALL),
    ({"only": ["ex_a"]}, {"ex_a"}),
    ({"only": ["ex_a,tr_b"]}, {"ex_a", "tr_b"}),
    ({"only": ["ex_a", "tr_b"]}, {"ex_a", "tr_b"}),
    ({"only": [" ex_a , tr_b ,"]}, {"ex_a", "tr_b"}),
    ({"only": ["ex_*"]}, {"ex_a", "ex_b"}),
    ({"only": ["*_a"]}, {"ex_a", "tr_a", "wr_a"}),
    ({"only": ["?r_?"]}, {"tr_a", "tr_b", "wr_a"}),
    ({"only": ["wr_b"]}, set()),                   # disabled stays disabled
    ({"skip": ["ex_a"]}, ALL - {"ex_a"}),
    ({"skip": ["tr_*,wr_a"]}, {"ex_a", "ex_b"}),
    ({"skip": ["ex_a"], "only": ["ex_*"]}, {"ex_b"}),
    ({"phases": ["Transform"]}, {"tr_a", "tr_b"}),
    ({"phases": ["Extract,Write"]}, {"ex_a", "ex_b", "wr_a"}),
    ({"phases": ["*form"]}, {"tr_a", "tr_b"}),
    ({"from_phase": "Transform"}, {"tr_a", "tr_b", "wr_a"}),
    ({"from_phase": "Extract"}, ALL),
    ({"from_phase": "Transform", "phases": ["Extract,Transform"]}, {"tr_a", "tr_b"}),
    ({"from_phase": "Transform", "skip": ["tr_a"]}, {"tr_b", "wr_a"}),
])
def test_selection_selects_exactly(tmp_path, flags, selected):
    plan = plan_of(tmp_path, SELECT, selection=Selection.from_flags(**flags))
    assert {t.name for t in plan.tasks if t.runs} == selected
    # each in a wave, or after the tasks it needs (tr_b, when ex_a runs)
    assert {n for wave in plan.waves for n in wave} | {t.name for t in plan.tasks
                                                       if t.after} == selected


@pytest.mark.parametrize("flags, message", [
    ({"only": ["nothing"]}, "--only nothing: no task matches"),
    ({"only": ["ex_a,ex_aa"]}, '--only ex_aa: no task matches (did you mean "ex_a"?)'),
    ({"only": ["zz*"]}, "--only zz*: no task matches"),
    ({"skip": ["nothing"]}, "--skip nothing: no task matches"),
    ({"phases": ["Load"]}, "--phase Load: no phase matches"),
    ({"phases": ["Extrct"]}, '--phase Extrct: no phase matches (did you mean "Extract"?)'),
    ({"from_phase": "Load"}, "--from-phase Load: no phase matches"),
    ({"from_phase": "Trans*"}, "--from-phase Trans*: no phase matches"),  # a name, not a glob
])
def test_unmatched_selection_is_an_error(tmp_path, flags, message):
    compiled = compiled_from(tmp_path, SELECT)
    with pytest.raises(SelectionError) as caught:
        build_plan(compiled, selection=Selection.from_flags(**flags))
    assert str(caught.value) == message


@pytest.mark.parametrize("flags, name, state, reason", [
    ({}, "wr_b", TaskState.DISABLED, "disabled in the file"),
    ({"only": ["ex_a"]}, "ex_b", TaskState.SKIPPED, "not selected (--only)"),
    ({"skip": ["ex_b"]}, "ex_b", TaskState.SKIPPED, "skipped (--skip)"),
    ({"phases": ["Write"]}, "ex_b", TaskState.SKIPPED, "phase not selected (--phase)"),
    ({"from_phase": "Write"}, "ex_b", TaskState.SKIPPED, "before --from-phase Write"),
    ({"only": ["ex_*"]}, "wr_b", TaskState.DISABLED, "disabled in the file"),
    ({}, "ex_b", TaskState.SELECTED, None),
])
def test_task_states_and_reasons(tmp_path, flags, name, state, reason):
    planned = task(plan_of(tmp_path, SELECT, selection=Selection.from_flags(**flags)), name)
    assert (planned.state, planned.reason) == (state, reason)
    assert planned.runs == (state == TaskState.SELECTED)
    assert (planned.wave is None and not planned.after) == (state != TaskState.SELECTED)


# --- waves -----------------------------------------------------------------------------------

WAVES = '''\
orchestration "W" {
    phase "A" {
        task a1 run "x"
        task a2 run "x"
    }
    phase "B" {
        task b1 run "x"
        task b2 run "x" needs a1
    }
    phase "C" {
        task c1 run "x" needs a2
        task c2 run "x"
    }
    phase "D" {
        task d1 run "x"
    }
}
'''


@pytest.mark.parametrize("flags, waves, after", [
    # b2 and c1 start when what they need succeeded, not with a wave (issue 13, item 29)
    ({}, [["a1", "a2"], ["b1"], ["c2"], ["d1"]], {"b2": ("a1",), "c1": ("a2",)}),
    # b2 needs only a1, which is not selected: it is met, b2 starts at once
    ({"skip": ["a1"]}, [["a2", "b2"], ["b1"], ["c2"], ["d1"]], {"c1": ("a2",)}),
    ({"phases": ["D"]}, [["d1"]], {}),
    # c1 needs only a2, which is not selected: it starts at once, with c2
    ({"from_phase": "C"}, [["c1", "c2"], ["d1"]], {}),
    ({"only": ["b*,d1"]}, [["b1", "b2"], ["d1"]], {}),
    ({"skip": ["b1,b2,c2"]}, [["a1", "a2"], ["d1"]], {"c1": ("a2",)}),
])
def test_waves(tmp_path, flags, waves, after):
    plan = plan_of(tmp_path, WAVES, selection=Selection.from_flags(**flags))
    assert [list(w) for w in plan.waves] == waves
    assert {t.name: t.wave for t in plan.tasks if t.runs} == {
        **{name: number for number, wave in enumerate(waves, 1) for name in wave},
        **{name: None for name in after}}
    assert {t.name: t.after for t in plan.tasks if t.after} == after


def test_disabled_tasks_take_no_wave_and_hold_nobody_back(tmp_path):
    plan = plan_of(tmp_path, '''\
orchestration "D" {
    phase "A" { task a run "x" disabled }
    phase "B" { task b run "x" }
    phase "C" { task c run "x" disabled  task c2 run "x" needs a }
    phase "E" { task e run "x" }
}
''')
    assert [list(w) for w in plan.waves] == [["b", "c2"], ["e"]]
    assert task(plan, "a").wave is None
    assert task(plan, "c").wave is None


def test_waves_follow_phase_order_without_needs(tmp_path):
    text = 'orchestration "L" {\n' + "".join(
        f'    phase "P{i}" {{ task t{i}a run "x"  task t{i}b run "x" }}\n' for i in range(6)) + "}\n"
    plan = plan_of(tmp_path, text)
    assert [list(w) for w in plan.waves] == [[f"t{i}a", f"t{i}b"] for i in range(6)]


# --- the rest of the plan --------------------------------------------------------------------

JOB = '''\
orchestration "Job" {
    description "what it does"
    schedule "0 6 * * 1-5" timezone "Europe/Prague"
    schedule "*/30 * * * * *" overlap skip catchup last
    notify error, warning to "ops@example.com", "https://hooks.example.com/x"
    notify processing after 20m to "ops@example.com"
    concurrency 4
    timeout 1h30m
    fail_fast
    phase "A" {
        task a run "x" timeout 10m retries 3 backoff 1m continue_on_failure
        task n orchestration "child.orch"
        task c call "pkg.mod:fn"
    }
}
'''


@pytest.fixture
def job_plan(tmp_path):
    (tmp_path / "child.orch").write_text('orchestration "C" { phase "P" { task t run "x" } }\n')
    return plan_of(tmp_path, JOB)


def test_job_level_values(job_plan, tmp_path):
    assert (job_plan.name, job_plan.description) == ("Job", "what it does")
    assert job_plan.path == str(tmp_path / "x.orch")
    assert (job_plan.concurrency, job_plan.timeout_s, job_plan.fail_fast) == (4, 5400.0, True)
    assert [(n.events, n.after_s, n.targets) for n in job_plan.notifications] == [
        (("error", "warning"), None, ("ops@example.com", "https://hooks.example.com/x")),
        (("processing",), 1200.0, ("ops@example.com",)),
    ]


def test_task_values(job_plan, tmp_path):
    a, n, c = job_plan.tasks
    assert (a.action, a.command, a.timeout_s, a.retries, a.backoff_s, a.continue_on_failure) == (
        "run", "x", 600.0, 3, 60.0, True)
    assert (n.action, n.file, n.command, n.argv) == ("orchestration", "child.orch", None, None)
    assert (c.action, c.target) == ("call", "pkg.mod:fn")
    assert a.cwd == str(tmp_path)
    assert (a.line, n.line, c.line) == (11, 12, 13)


def test_schedules_with_a_fixed_now(job_plan):
    prague, every30s = job_plan.schedules
    assert (prague.cron, prague.timezone, prague.overlap, prague.catchup) == (
        "0 6 * * 1-5", "Europe/Prague", "queue", "none")
    assert [f.isoformat() for f in prague.next_fires] == [
        "2027-03-29T06:00:00+02:00", "2027-03-30T06:00:00+02:00", "2027-03-31T06:00:00+02:00"]
    assert (every30s.timezone, every30s.overlap, every30s.catchup) == ("UTC", "skip", "last")
    assert [f.isoformat() for f in every30s.next_fires] == [
        "2027-03-26T12:00:30+00:00", "2027-03-26T12:01:00+00:00", "2027-03-26T12:01:30+00:00"]


def test_fires_count(tmp_path):
    compiled = compiled_from(tmp_path, 'orchestration "F" { schedule "@daily" phase "P" { task t run "x" } }\n')
    plan = view(build_plan(compiled), {}, NOW, fires=5)
    assert [f.isoformat() for f in plan.schedules[0].next_fires] == [
        f"2027-03-{d}T00:00:00+00:00" for d in range(27, 32)]
