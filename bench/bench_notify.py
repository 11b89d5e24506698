"""Fan-out of notifications: how long after a job ends are all its deliveries done, for many
targets on real local servers (aiosmtpd, http.server), and what does a notifier add to a job
of many tasks (it acts only at job start and end, so nothing is the expected figure)?

    python bench/bench_notify.py [--runs N] [--targets N] [--tasks N]

Needs the test extra (aiosmtpd); servers listen on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def fan_out(folder: str, targets: int, smtp, http) -> tuple[float, int]:
    """Seconds from the job's end to its last delivery, for ``targets`` e-mail addresses and
    ``targets`` webhooks; returns (seconds, deliveries)."""
    import trio

    import orchdsl
    from orchdsl.notify import notifier_for
    from orchdsl.runner.engine import Engine, RunOptions
    from orchdsl.observer import MemoryRecorder, Observers
    from orchdsl.model import Trigger

    mails = ", ".join(f'"ops{i}@example.com"' for i in range(targets))
    hooks = ", ".join(f'"{http.url(f"/h{i}")}"' for i in range(targets))
    path = Path(folder) / "fan.orch"
    path.write_text(f'orchestration "Fan" {{\n    notify error to {mails}, {hooks}\n'
                    f'    phase "P" {{ task a run "exit 1" }}\n}}\n')
    environ = {**os.environ, "ORCHDSL_SMTP_URL": smtp.url}
    plan = orchdsl.plan(str(path), environ=environ)
    notifier = notifier_for(plan, Trigger.SCHEDULE, environ=environ)
    engine = Engine(plan, Observers(MemoryRecorder(), notifier), RunOptions(
        trigger=Trigger.SCHEDULE, environ=environ))
    ended = []

    async def main():
        async with notifier.running():
            await engine.run()
            ended.append(time.perf_counter())
        return time.perf_counter()

    done = trio.run(main)
    assert not notifier.failures, notifier.failures[0].describe()
    return done - ended[0], len(notifier.deliveries)


def overhead(folder: str, tasks: int, with_notifier: bool) -> float:
    import orchdsl
    from orchdsl.model import Trigger

    path = Path(folder) / f"many-{tasks}.orch"
    lines = "\n".join(f'        task t{i} call "os:getpid"' for i in range(tasks))
    path.write_text(f'orchestration "Many" {{\n    phase "P" {{\n{lines}\n    }}\n}}\n')
    start = time.perf_counter()
    job = orchdsl.run(str(path), trigger=Trigger.MANUAL,
                      notify_me=["https://127.0.0.1:9/never"] if with_notifier else ())
    assert job.state.value == "success", job.state
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--targets", type=int, default=50)
    parser.add_argument("--tasks", type=int, default=2000)
    args = parser.parse_args(argv)
    from notify_servers import HttpServer, SmtpServer

    smtp, http = SmtpServer(), HttpServer()
    try:
        with tempfile.TemporaryDirectory() as folder:
            fan_out(folder, 2, smtp, http)  # warm-up
            samples = [fan_out(folder, args.targets, smtp, http) for _ in range(args.runs)]
            seconds = [s for s, _ in samples]
            print(f"{samples[0][1]} deliveries ({args.targets} e-mails + {args.targets} "
                  f"webhooks) after a job ends: median {statistics.median(seconds):.3f} s, "
                  f"max {max(seconds):.3f} s ({args.runs} runs)")
            plain = [overhead(folder, args.tasks, False) for _ in range(args.runs)]
            # The notify-me target is a job that succeeds: it hears nothing, no delivery waits.
            notified = [overhead(folder, args.tasks, True) for _ in range(args.runs)]
            print(f"a {args.tasks}-task job: {statistics.median(plain):.3f} s without a notifier, "
                  f"{statistics.median(notified):.3f} s with one (medians of {args.runs})")
    finally:
        smtp.stop()
        http.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
