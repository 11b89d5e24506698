"""The Python API as the README shows it (docs/language.md): ``orchdsl.run`` records its jobs
in the user's store like ``orchdsl run`` does, and its errors are exported classes whose
messages say what and where."""

from __future__ import annotations

import json

import pytest

import orchdsl
from conftest import run_isolated

PIPELINE = '''\
orchestration "Api" {
    param day = "today"
    phase "One" {
        task a run "true"
    }
}
'''


@pytest.fixture
def pipeline(tmp_path):
    path = tmp_path / "pipeline.orch"
    path.write_text(PIPELINE)
    return path


def test_a_run_from_python_is_recorded_in_the_users_store(pipeline, tmp_path):
    first = orchdsl.run(str(pipeline), params={"day": "2026-11-01"})
    second = orchdsl.run(str(pipeline))
    assert (first.job_id, second.job_id) == (1, 2)
    listed = json.loads(run_isolated("jobs", "--format", "json", cwd=tmp_path).stdout)["jobs"]
    assert [(j["id"], j["state"], j["params"]) for j in listed] == [
        (2, "success", {"day": "today"}), (1, "success", {"day": "2026-11-01"})]


def test_store_none_records_nothing(pipeline, tmp_path, own_state_home):
    job = orchdsl.run(str(pipeline), store=None)
    assert (job.job_id, job.state.value) == (1, "success")
    assert not (own_state_home / "orchdsl").exists()


def test_a_store_of_its_own_may_be_given(pipeline, tmp_path):
    orchdsl.run(str(pipeline), store=str(tmp_path / "mine.db"))
    listed = run_isolated("jobs", "--store", "mine.db", cwd=tmp_path).stdout
    assert listed.splitlines()[1].split()[:3] == ["1", "success", "Api"]


@pytest.mark.parametrize("call, error, message", [
    (lambda p: orchdsl.run(str(p), params={"dya": "x"}), "ParamError",
     "param 'dya': no such param (declared: day)"),
    (lambda p: orchdsl.run(str(p), params={"dayy": "x"}), "ParamError",
     "param 'dayy': no such param (did you mean \"day\"?)"),
    (lambda p: orchdsl.run(str(p), params={"day": 5}), "ParamError",
     "param 'day': its value must be a string, not int"),
    (lambda p: orchdsl.run(str(p), only=["nothing"]), "SelectionError",
     "--only nothing: no task matches"),
    (lambda p: orchdsl.run(str(p.parent / "missing.orch")), "SourceError", "missing.orch: no such file"),
])
def test_errors_are_exported_classes_that_say_what(pipeline, call, error, message):
    with pytest.raises(getattr(orchdsl, error)) as caught:
        call(pipeline)
    assert str(caught.value).endswith(message)


def test_a_compile_error_carries_its_diagnostics_in_its_message(tmp_path):
    path = tmp_path / "bad.orch"
    path.write_text('orchestration "Bad" {\n    phase "One" {\n        task a extracter run "x"\n'
                    '    }\n}\n')
    with pytest.raises(orchdsl.CompileError) as caught:
        orchdsl.plan(str(path))
    assert str(caught.value).startswith(f"{path}:3:16: error[E001]: ")
    assert [d.code for d in caught.value.diagnostics] == ["E001"]
