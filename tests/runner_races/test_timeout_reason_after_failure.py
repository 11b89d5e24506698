"""Regression test for a bug found in review, now fixed (the text says how it was):
Without fail_fast, a failure lets running tasks finish (5.2). When the job timeout then
cancels one of them, _mark_cancelled() gives it the reason of the earlier failure
(`self._stopping`, "task bad failed") instead of the timeout: it reads as if fail_fast had
cancelled it. Same for a call in a lane and for a command."""


import orchdsl
from race_helpers import Log, lit, write


def test_running_tasks_cancelled_by_the_timeout_say_so(tmp_path):
    write(tmp_path, "steps.py", "import time\ndef slow():\n    time.sleep(3)\n")
    path = write(tmp_path, "p.orch", f"""orchestration "o" {{
  timeout 1s
  phase "p" {{
    task bad run {lit("exit 1")}
    task cmd run {lit("sleep 5")}
    task fn call "steps:slow"
  }}
}}
""")
    job = orchdsl.run(str(path), observer=Log())
    assert job.reason == "job timed out after 1s"
    reasons = {n: (job.tasks[n].state.value, job.tasks[n].reason) for n in ("cmd", "fn")}
    assert reasons == {"cmd": ("cancelled", "job timed out after 1s"),
                       "fn": ("cancelled", "job timed out after 1s")}
