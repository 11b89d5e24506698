"""``python -m orchdsl.web.nanny COMMAND...``: run COMMAND (``orchdsl run ... --detach``) as a
child subreaper, print what it printed and, last, ``NANNY_EXIT=<its exit code>``, let go of
its output, then wait for every process it left (the detached runner, its guardian, their
orphans) until none is left.

The dashboard starts runs through it when it serves beside the scheduler, which is itself a
child subreaper: without it, those processes would become the scheduler's children when
their parents end, and stay zombies, since only trio waits for the scheduler's children and
only for the ones it started. The dashboard waits for the nanny alone (web.server)."""

from __future__ import annotations

import os
import subprocess
import sys

MARK = "NANNY_EXIT="


def main(argv: list[str]) -> int:
    from orchdsl.runner.guard import enable_subreaper

    enable_subreaper()
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
        said, code = done.stdout, done.returncode
    except OSError as exc:
        said, code = f"{exc}\n".encode(), 2
    sys.stdout.buffer.write(said + f"\n{MARK}{code}\n".encode())
    sys.stdout.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # the dashboard reads to the end: this is the end
    os.dup2(devnull, 2)
    while True:
        try:
            os.wait()
        except ChildProcessError:
            return 0
        except InterruptedError:
            continue


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
