"""Regression test for a bug found in review, now fixed (the text says how it was):
fail_fast: a call whose Started the engine hears after the failure is abandoned in
_quick_call_started(), which appends it to _reached but never calls _advance(). When nothing
else advances the walk afterwards, the nodes after it are never reached and _finish() records
the later tasks as skipped "not reached" instead of "not started: task bad failed"."""


import pytest

import orchdsl
from race_helpers import Log, lit, write


@pytest.mark.slow  # seconds of real work: the full suite's
def test_later_tasks_say_why_they_did_not_start(tmp_path):
    write(tmp_path, "steps.py", "import time\ndef f():\n    time.sleep(0.0003)\n")
    calls = "\n".join(f'    task t{i} call "steps:f"' for i in range(400))
    path = write(tmp_path, "p.orch", f"""orchestration "o" {{
  fail_fast
  phase "one" {{
    task bad run {lit("sleep 0.05; exit 3")}
{calls}
  }}
  phase "two" {{
    task z run {lit("true")}
  }}
}}
""")
    reasons = []
    for _ in range(15):
        job = orchdsl.run(str(path), observer=Log(), concurrency=2)
        assert job.state.value == "error"
        reasons.append(job.tasks["z"].reason)
        for t in job.tasks.values():
            assert t.state.value not in ("pending", "running")
    assert set(reasons) == {"not started: task bad failed"}
