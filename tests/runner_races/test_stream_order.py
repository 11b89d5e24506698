"""Regression test for a bug found in review, now fixed (the text says how it was):
--stream lines of a lane call can reach the observer before its task_started.

A lane posts Started(call) without a new run_sync_soon when a wake-up is already pending
(from the Ended of the call before); the call's print() then schedules task_output with
run_sync_soon, which trio runs before the _listen task gets to the Started event."""


import orchdsl
from race_helpers import Log, write


def order_problems(log: Log) -> list[str]:
    started, finished, problems = set(), set(), []
    for event in log.events:
        kind = event[0]
        if kind == "task_started":
            started.add(event[2])
        elif kind == "task_finished":
            finished.add(event[2])
        elif kind == "task_output":
            name = event[2]
            if name not in started:
                problems.append(f"output of {name} before its task_started")
            elif name in finished:
                problems.append(f"output of {name} after its task_finished")
    return problems


def test_output_never_precedes_task_started(tmp_path):
    write(tmp_path, "steps.py", "def hello():\n    print('hello')\n")
    tasks = "\n".join(f'  task t{i} call "steps:hello"' for i in range(60))
    path = write(tmp_path, "p.orch",
                 f'orchestration "o" {{\n concurrency 1\n phase "p" {{\n{tasks}\n }}\n}}\n')
    problems = []
    for _ in range(5):
        log = Log()
        job = orchdsl.run(str(path), observer=log, stream=True)
        assert job.state.value == "success"
        problems += order_problems(log)
    assert problems == []
