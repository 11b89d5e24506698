"""What capturing a task's output costs (issue 16's targets): a task that prints 200 MB as fast
as it can, run by `orchdsl run` (every byte kept in the job store, docs/reference.md "Logs"),
against the same command run by the shell with its output thrown away, written to a file, and
compressed into a file by `gzip -1` (what keeping every byte costs at the least: the store
keeps logs compressed with zlib level 1); and the runner's peak RSS.

    python bench/bench_capture.py [--runs N] [--mb N] [--orchdsl PATH]

The ratio is the median of paired runs (alternating order). Peak RSS is what the kernel counted
for the `orchdsl` process (wait4's ru_maxrss), the task's own processes being far smaller.
The table goes to stdout, progress to stderr; exit 1 when a run fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

OVERHEAD_TARGET = 1.15
RSS_TARGET_MIB = 200


def command(mb: int) -> str:
    # 100-byte lines: a log of many lines, the costly case for a line-oriented capture.
    return f"yes {'x' * 98} | head -c {mb * 1_000_000}"


def run(argv: list[str], folder: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one process."""
    env = dict(os.environ, ORCHDSL_STORE=os.path.join(folder, "jobs.db"))
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=folder, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"bench_capture: {' '.join(argv)} exited {process.returncode}: "
                 f"{process.stderr.read().decode()[-2000:]}")
    process.stderr.close()
    return elapsed, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="paired runs (default 5)")
    parser.add_argument("--mb", type=int, default=200, help="megabytes printed (default 200)")
    parser.add_argument("--orchdsl", default=shutil.which("orchdsl") or "orchdsl")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-capture-") as folder:
        path = os.path.join(folder, "loud.orch")
        with open(path, "w", encoding="utf-8") as file:
            file.write('orchestration "Loud" {\n    phase "P" {\n'
                       f'        task loud run "{command(args.mb)}"\n    }}\n}}\n')
        out = os.path.join(folder, "out")
        baselines = {"> /dev/null": ["sh", "-c", command(args.mb)],
                     "> file": ["sh", "-c", f"{command(args.mb)} > {out}"],
                     "| gzip -1 > file": ["sh", "-c", f"{command(args.mb)} | gzip -1 > {out}"]}
        orch = [args.orchdsl, "run", "--no-live", "--log-limit", f"{args.mb * 2}MB", path]
        run(orch, folder)  # warm-up
        rows, rss = [], []
        for label, bare in baselines.items():
            ratios, walls, base = [], [], []
            for i in range(args.runs):
                print(f"{label}: run {i + 1}/{args.runs} ...", file=sys.stderr)
                if i % 2:
                    (o, m), (b, _) = run(orch, folder), run(bare, folder)
                else:
                    (b, _), (o, m) = run(bare, folder), run(orch, folder)
                ratios.append(o / b), walls.append(o), rss.append(m), base.append(b)
            rows.append((f"{args.mb} MB: orchdsl run / sh -c '... {label}'",
                         f"{statistics.median(ratios):.2f}× ({statistics.median(walls):.2f} s"
                         f" / {statistics.median(base):.2f} s)"))
        peak = max(rss)
        rows.append(("peak RSS of orchdsl run", f"{peak:.0f} MiB (target < {RSS_TARGET_MIB} MiB: "
                     f"{'ok' if peak < RSS_TARGET_MIB else 'MISSED'})"))
        width = max(len(r[0]) for r in rows)
        print(f"{'measurement':<{width}}  result   (runs: {args.runs}; target for the ratio: "
              f"≤ {OVERHEAD_TARGET}×)")
        for name, result in rows:
            print(f"{name:<{width}}  {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
