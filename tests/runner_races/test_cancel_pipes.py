"""Regression test for a bug found in review, now fixed (the text says how it was):
On cancel, run_process keeps the pipes open but stops reading them (the reader tasks are
cancelled with the task) until the group is down. A command that handles SIGTERM by writing
more than a pipe's buffer (64 KiB) blocks in write() and is SIGKILLed after the grace period
instead of finishing its cleanup; the job waits the whole grace period."""
import sys
import time


import trio

import orchdsl.api
from jobrunner import JobUnderTest
from race_helpers import Log, lit, write

CLEANUP = """\
import signal, sys, time, pathlib
def term(*_):
    sys.stdout.write('x' * 200_000 + '\\n')
    sys.stdout.flush()
    pathlib.Path('cleaned').write_text('yes')
    sys.exit(0)
signal.signal(signal.SIGTERM, term)
print('ready', flush=True)
time.sleep(30)
"""


def test_cleanup_output_does_not_block_the_command(tmp_path):
    write(tmp_path, "cleanup.py", CLEANUP)
    path = write(tmp_path, "p.orch", f"""orchestration "o" {{
  fail_fast
  phase "p" {{
    task slow run {lit(sys.executable + " cleanup.py")}
    task bad run {lit("sleep 0.5; exit 1")}
  }}
}}
""")
    engine = JobUnderTest(orchdsl.api.plan(str(path)), Log(), grace_s=4)
    started = time.monotonic()
    job = trio.run(engine.run)
    took = time.monotonic() - started
    assert job.tasks["slow"].state.value == "cancelled"
    assert (tmp_path / "cleaned").exists(), f"killed before its cleanup ended ({took:.1f}s)"
    assert took < 3
