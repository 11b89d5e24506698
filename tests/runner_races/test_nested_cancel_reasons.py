"""Regression test for a bug found in review, now fixed (the text says how it was):
A parent cancelling a nested job (the nested task's timeout here; the parent's fail_fast or
SIGINT do the same): the child's reasons are wrong.

- Calls still queued in the child's lanes are skipped with the reason "not started: None":
  _take_back_queued_calls() asks _ending(), which only knows the child's own cancel and
  timeout, so it skips them with f"not started: {self._stopping}" while _stopping is None.
- A running command of a child that declares its own `timeout` is recorded "job timed out
  after 1h": _why_cancelled() assumes any cancel without cancel() was the job timeout."""


import orchdsl
from race_helpers import Log, lit, write


def test_child_tasks_say_the_parent_cancelled_them(tmp_path):
    write(tmp_path, "steps.py", "import time\ndef f():\n    time.sleep(0.2)\n")
    calls = "\n".join(f'    task c{i} call "steps:f"' for i in range(5))
    write(tmp_path, "child.orch", f"""orchestration "child" {{
  concurrency 2
  timeout 1h
  phase "p" {{
    task cmd run {lit("sleep 5")}
{calls}
  }}
}}
""")
    path = write(tmp_path, "parent.orch", """orchestration "parent" {
  phase "p" {
    task kid orchestration "child.orch" timeout 300ms
  }
}
""")
    log = Log()
    job = orchdsl.run(str(path), observer=log)
    assert job.tasks["kid"].state.value == "failed"
    child = log.jobs[1]
    reasons = {name: (t.state.value, t.reason) for name, t in child.tasks.items()}
    assert all("None" not in str(r) for _, r in reasons.values() if r is not None), reasons
    assert "timed out after 1h" not in str(reasons["cmd"]), reasons
