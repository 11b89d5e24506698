"""Regression test for a bug found in review, now fixed (the text says how it was):
A call abandoned by its job (job timeout, fail_fast, cancel) runs on in its lane, and with
--stream every line it prints still goes to the observer (run_sync_soon from the lane), after
the task's task_finished (cancelled) and even after the job's job_finished, while the trio run
goes on (a nested job inside its parent, the scheduler, notifications being delivered)."""


import orchdsl
from race_helpers import Log, lit, write


def test_no_output_event_after_job_finished(tmp_path):
    write(tmp_path, "steps.py",
          "import time\ndef slow():\n    time.sleep(1.0)\n    print('late')\n")
    write(tmp_path, "child.orch", """orchestration "child" {
  timeout 300ms
  phase "p" {
    task slow call "steps:slow"
  }
}
""")
    path = write(tmp_path, "parent.orch", f"""orchestration "parent" {{
  phase "p" {{
    task kid orchestration "child.orch"
    task other run {lit("sleep 1.8")}
  }}
}}
""")
    log = Log()
    job = orchdsl.run(str(path), observer=log, stream=True)
    assert job.tasks["kid"].state.value == "failed"
    child_id = 2
    events = [e for e in log.events if e[1] == child_id]
    kinds = [e[0] for e in events]
    assert kinds[-1] == "job_finished", events
    finished = [e for e in events if e[0] == "task_finished" and e[2] == "slow"]
    assert finished and finished[0][3] == "cancelled"
    late = [e for e in events if e[0] == "task_output"]
    assert late == [], events
