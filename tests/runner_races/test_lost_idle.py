"""Regression test for a bug found in review, now fixed (the text says how it was):
A lane's Idle event that arrives after _listen returned is never taken: the lane's slot
stays borrowed for the rest of the job.

_listen returns as soon as _may_close() holds (no call handed, or no task queued). That is
checked after the Ended of the last call; the lane posts Idle a moment later (after it found
the queue empty). If trio takes the events between the two (the lane thread descheduled after
its Ended, as an OS may do at any time), Idle lands in Lanes._events and the wake-up sets an
Event nobody waits on. A task retrying after a backoff then waits for that slot forever."""
import sys
import time


import orchdsl
from orchdsl.runner.executors import lanes as lanes_module
from race_helpers import Log, lit, write

FLAKY = f"{sys.executable} -c \"import os,sys; f='flag'; e=os.path.exists(f); open(f,'a').close(); sys.exit(0 if e else 1)\""


def orch(tmp_path, timeout="6s"):
    write(tmp_path, "steps.py", "def quick():\n    pass\n")
    return write(tmp_path, "p.orch", f"""orchestration "o" {{
  concurrency 1
  timeout {timeout}
  phase "p" {{
    task r run {lit(FLAKY)} retries 1 backoff 1s
    task a call "steps:quick"
  }}
}}
""")


def test_retry_after_a_lane_call_gets_its_slot_back(tmp_path, monkeypatch):
    """Deterministic: the lane thread is 'descheduled' for 0.2 s between Ended and Idle."""
    original = lanes_module.Lanes.post

    def slow_idle(self, event, **how):
        if isinstance(event, lanes_module.Idle):
            time.sleep(0.2)
        original(self, event, **how)

    monkeypatch.setattr(lanes_module.Lanes, "post", slow_idle)
    path = orch(tmp_path)
    started = time.monotonic()
    job = orchdsl.run(str(path), observer=Log())
    took = time.monotonic() - started
    assert (job.state.value, job.reason) == ("success", None), (job.tasks["r"].state, took)
    assert took < 4
