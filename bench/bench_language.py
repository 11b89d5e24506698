"""What language 1.1 costs (issue 15's targets): a static matrix of 10,000 instances linted and
planned, a dynamic matrix of 10,000 instances against 10,000 plain tasks, and `when`
conditions on every task of W1 against the same W1 without them.

    python bench/bench_language.py [--runs N] [--quick] [--orchdsl PATH]

Every figure is a whole `orchdsl` process (what a user waits for), timed with a fresh store in a
temporary folder; the ratios are medians of paired runs (the two sides of a pair run one after
the other, in alternating order), so a machine that is busy for a while slows both sides alike.
The table goes to stdout, progress to stderr. Exit 0 when everything ran (targets are printed,
not enforced); 1 when a run failed (its output is shown).
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
from dataclasses import dataclass

STATIC_TARGET_S = 1.0      # lint, and plan (--dry-run), of 10,000 static instances
DYNAMIC_TARGET = 1.3       # dynamic matrix / plain tasks
CONDITION_TARGET = 1.02    # W1 with a condition on every task / W1


@dataclass(frozen=True)
class Pair:
    """Two whole-process timings taken one after the other."""
    left: float
    right: float


def write(folder: str, name: str, text: str) -> str:
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)
    return path


def static_matrix(size: int) -> str:
    side = int(size ** 0.5)
    values = ", ".join(f'"v{i}"' for i in range(side))
    return ('orchestration "Static" {\n    phase "Fan" {\n'
            f'        task t run ["true", "${{a}}", "${{b}}"] matrix a = [{values}] '
            f'matrix b = [{values}]\n    }}\n}}\n')


LISTER = ('        task list run "{{ echo \'lines<<EOF\'; seq {size}; echo EOF; }} '
          '>> \\"$ORCHDSL_OUTPUT\\""\n')


def dynamic_matrix(size: int, jobs: int) -> str:
    return (f'orchestration "Dynamic" {{\n    concurrency {jobs}\n    phase "List" {{\n'
            + LISTER.format(size=size)
            + '    }\n    phase "Fan" {\n'
            '        task t run ["true", "${n}"] matrix n from tasks.list.outputs.lines\n'
            '    }\n}\n')


def plain_tasks(size: int, jobs: int) -> str:
    tasks = "".join(f'        task t{i} run ["true", "{i}"]\n' for i in range(size))
    return (f'orchestration "Plain" {{\n    concurrency {jobs}\n    phase "List" {{\n'
            + LISTER.format(size=size)
            + '    }\n    phase "Fan" {\n' + tasks + '    }\n}\n')


def w1(tasks: int, phases: int, jobs: int, condition: bool) -> str:
    when = ' when params.go == "yes"' if condition else ""
    lines = [f'orchestration "W1" {{', f"    concurrency {jobs}", '    param go = "yes"']
    per_phase = tasks // phases
    for p in range(phases):
        lines.append(f'    phase "P{p}" {{')
        lines += [f'        task t{p}_{i} run ["true"]{when}' for i in range(per_phase)]
        lines.append("    }")
    return "\n".join(lines + ["}", ""])


def timed(argv: list[str], folder: str) -> float:
    env = dict(os.environ, ORCHDSL_STORE=os.path.join(folder, "jobs.db"))
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"bench_language: {' '.join(argv)} exited {done.returncode}\n"
                 f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return elapsed


def pairs(left: list[str], right: list[str], folder: str, runs: int) -> list[Pair]:
    timed(left, folder), timed(right, folder)  # warm-up: page cache, .pyc files
    out = []
    for i in range(runs):
        if i % 2:
            r, l = timed(right, folder), timed(left, folder)
        else:
            l, r = timed(left, folder), timed(right, folder)
        out.append(Pair(l, r))
    return out


def median_ratio(samples: list[Pair]) -> float:
    return statistics.median(p.left / p.right for p in samples)


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="paired runs per row (default 5)")
    parser.add_argument("--quick", action="store_true", help="1 run, 1,000 instances")
    parser.add_argument("--orchdsl", default=shutil.which("orchdsl") or "orchdsl")
    args = parser.parse_args(argv)
    runs, size = (1, 1_000) if args.quick else (args.runs, 10_000)
    tool = args.orchdsl
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-language-") as folder:
        static = write(folder, "static.orch", static_matrix(size))
        print(f"static matrix of {size:,}: lint and --dry-run ...", file=sys.stderr)
        lint = statistics.median(timed([tool, "lint", static], folder) for _ in range(runs))
        plan = statistics.median(timed([tool, "run", "--dry-run", static], folder)
                                 for _ in range(runs))
        rows.append((f"static matrix {size:,}: lint", f"{lint:.3f} s",
                     f"< {STATIC_TARGET_S:.0f} s", verdict(lint < STATIC_TARGET_S)))
        rows.append((f"static matrix {size:,}: plan (--dry-run)", f"{plan:.3f} s",
                     f"< {STATIC_TARGET_S:.0f} s", verdict(plan < STATIC_TARGET_S)))

        print(f"dynamic matrix of {size:,} against {size:,} plain tasks ...", file=sys.stderr)
        dyn = write(folder, "dynamic.orch", dynamic_matrix(size, 2))
        plain = write(folder, "plain.orch", plain_tasks(size, 2))
        samples = pairs([tool, "run", dyn], [tool, "run", plain], folder, runs)
        ratio = median_ratio(samples)
        rows.append((f"dynamic matrix {size:,} / plain tasks (J=2)",
                     f"{ratio:.2f}× ({statistics.median(p.left for p in samples):.2f} s / "
                     f"{statistics.median(p.right for p in samples):.2f} s)",
                     f"≤ {DYNAMIC_TARGET}×", verdict(ratio <= DYNAMIC_TARGET)))

        print("W1 with and without a condition on every task ...", file=sys.stderr)
        tasks = 200 if args.quick else 2_000
        cond = write(folder, "w1-when.orch", w1(tasks, 20, 2, True))
        bare = write(folder, "w1.orch", w1(tasks, 20, 2, False))
        samples = pairs([tool, "run", cond], [tool, "run", bare], folder, runs)
        ratio = median_ratio(samples)
        rows.append((f"W1 ({tasks:,} true, 20 phases, J=2) with `when` / without",
                     f"{ratio:.3f}× ({statistics.median(p.left for p in samples):.3f} s / "
                     f"{statistics.median(p.right for p in samples):.3f} s)",
                     f"≤ {CONDITION_TARGET}×", verdict(ratio <= CONDITION_TARGET)))
    width = max(len(r[0]) for r in rows)
    print(f"{'measurement':<{width}}  result  target  verdict   (runs: {runs})")
    for name, result, target, ok in rows:
        print(f"{name:<{width}}  {result}  {target}  {ok}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
