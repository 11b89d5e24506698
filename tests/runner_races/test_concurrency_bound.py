"""Regression test: a bug found in review, now fixed."""

import os
import orchdsl
from orchdsl.runner.executors import calls
from race_helpers import Log, write
from test_invariants_stress import STEPS


def test_calls_never_exceed_concurrency(tmp_path):
    write(tmp_path, "steps.py", STEPS + "\nasync def aslow():\n    import trio\n    _enter()\n    try:\n        await trio.sleep(0.003)\n    finally:\n        _leave()\n")
    tasks = []
    for i in range(60):
        kind = ['call "steps:ok"', 'call "steps:aslow"', 'call "steps:ok" retries 1'][i % 3]
        tasks.append(f"    task t{i} {kind}")
    for conc in (1, 2, 3):
        path = write(tmp_path, f"c{conc}.orch", f'orchestration "o" {{\n  concurrency {conc}\n  param ms = "3"\n'
                     '  phase "p" {\n' + "\n".join(tasks) + "\n  }\n}\n")
        job = orchdsl.run(str(path), observer=Log())
        assert job.state.value == "success"
        module = calls._loaded[(os.path.realpath(str(tmp_path)), "steps")]
        assert module.most[0] <= conc, (conc, module.most[0])
        module.most[0] = 0
