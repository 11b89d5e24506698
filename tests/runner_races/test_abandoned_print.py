"""Regression test for a bug found in review, now fixed (the text says how it was):
An abandoned call (fail_fast here) that prints after the run is over dies in print() with
trio.RunFinishedError when the job ran with --stream: the lane's line sink calls
token.run_sync_soon for every line and does not expect the run to be gone. Without --stream the
same function runs to its end ("abandoned in its thread", LANGUAGE.md 7)."""
import time


import pytest

import orchdsl
from race_helpers import Log, lit, write

STEPS = """\
import time, pathlib
def slow(marker):
    time.sleep(0.4)
    try:
        print('still here')
    except BaseException as exc:
        pathlib.Path(marker + '.error').write_text(type(exc).__name__)
        raise
    pathlib.Path(marker).write_text('done')
"""


@pytest.mark.parametrize("stream", [False, True])
def test_abandoned_call_runs_to_its_end(tmp_path, stream):
    write(tmp_path, "steps.py", STEPS)
    marker = tmp_path / "marker"
    path = write(tmp_path, "p.orch", f"""orchestration "o" {{
  fail_fast
  param marker = {lit(str(marker))}
  phase "p" {{
    task slow call "steps:slow"
    task bad run {lit("sleep 0.1; exit 1")}
  }}
}}
""")
    job = orchdsl.run(str(path), observer=Log(), stream=stream)
    assert job.tasks["slow"].state.value == "cancelled"
    time.sleep(1.0)
    error = (tmp_path / "marker.error")
    assert not error.exists(), error.read_text()
    assert marker.exists()
