"""``orchdsl logs ID [TASK]``: what a job's tasks printed, attempt by attempt, in full."""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone

from orchdsl.cli import exits
from orchdsl.cli.args import ArgumentParser, positive
from orchdsl.cli.store_option import add_store_option, load_job, open_reader

FOLLOW_POLL_S = 0.5

DESCRIPTION = """\
What a job's tasks printed, every byte of it (up to the per-task log limit), each attempt
under a header, stdout and stderr in the order they came. Secrets show as ***.

examples:
  orchdsl logs 12                    # every task of job 12
  orchdsl logs 12 load --attempt 2   # one attempt of one task
  orchdsl logs 12 load --tail 50     # its last 50 lines
  orchdsl logs 12 --since 10m --timestamps
  orchdsl logs 12 load --raw > load.log   # exactly what it printed, no header
  orchdsl logs 12 --follow           # while the job runs, lines as they come
"""


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="orchdsl logs", description=DESCRIPTION)
    parser.add_argument("id", type=positive, metavar="ID", help="the job id")
    parser.add_argument("task", nargs="?", metavar="TASK", help="only this task")
    parser.add_argument("--attempt", type=positive, metavar="K", help="only attempt K")
    parser.add_argument("--tail", type=positive, metavar="N",
                        help="only the last N lines of each attempt")
    parser.add_argument("--since", type=_since, metavar="TIME",
                        help="only lines printed since TIME (ISO 8601, or a duration ago: 10m)")
    parser.add_argument("--timestamps", action="store_true",
                        help="each line with the time it was printed (stderr lines marked !)")
    parser.add_argument("--raw", action="store_true",
                        help="only what was printed, byte for byte: no headers")
    parser.add_argument("--follow", "-f", action="store_true",
                        help="print lines as the tasks print them, until the job ends")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    add_store_option(parser)
    return parser


def _since(text: str) -> float:
    import argparse

    from orchdsl.lang.lexical import parse_duration

    try:
        return time.time() - parse_duration(text.strip()) / 1000
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO time or a duration (10m), got "
                                         f"{text!r}") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    store = open_reader(args.store, "logs")
    if isinstance(store, int):
        return store
    from orchdsl.cli.history_view import seen
    from orchdsl.store import StoreError

    job = load_job(store, args.id, "logs")
    if isinstance(job, int):
        return job
    seen(store, [job])
    if args.task and args.task not in job.tasks:
        sys.stderr.write(f'orchdsl logs: error: job {args.id} has no task "{args.task}"\n')
        return exits.FAILED
    try:
        if args.follow:
            return _follow(store, job, args)
        return _print_all(store, job, args)
    except StoreError as exc:
        sys.stderr.write(f"orchdsl logs: error: {exc}\n")
        return exits.USAGE


def _wanted(args, task: str, attempt: int) -> bool:
    return (args.task is None or task == args.task) and (
        args.attempt is None or attempt == args.attempt)


def _print_all(store, job, args) -> int:
    from orchdsl.cli.logs_output import Lines, summary_lines

    lines = Lines()
    for chunk in store.logs(job.job_id):
        lines.add(chunk.task, chunk.attempt, chunk.pieces)
    lines.close()
    attempts = []
    for task in job.tasks.values():
        for attempt in task.attempts:
            if _wanted(args, task.name, attempt.number):
                found = lines.by_attempt.get((task.name, attempt.number))
                attempts.append((task.name, attempt.number,
                                 found if found is not None else summary_lines(attempt)))
    if args.format == "json":
        return _print_json(job, attempts, args)
    out = sys.stdout.buffer if args.raw else None
    for task, number, found in attempts:
        found = _filtered(found, args)
        if args.raw:
            out.write(b"".join(_raw(line) for line in found))
            continue
        from orchdsl.cli.logs_output import header, shown

        sys.stdout.write(header(job, task, number) + "\n")
        sys.stdout.write("".join(shown(line, args.timestamps) + "\n" for line in found))
    return exits.OK


def _filtered(found, args):
    if args.since is not None:
        found = [line for line in found if line.at >= args.since]
    if args.tail is not None:
        found = found[-args.tail:]
    return found


def _raw(line) -> bytes:
    return (line.text + ("\n" if line.ended else "")).encode("utf-8", "surrogateescape")


def _print_json(job, attempts, args) -> int:
    from orchdsl.cli.history_output import as_json

    kept = [(task, number, _filtered(found, args)) for task, number, found in attempts]
    sys.stdout.write(as_json({"job": job.job_id, "logs": log_documents(job, kept)}))
    return exits.OK


def log_documents(job, attempts) -> list[dict]:
    """The ``logs`` of ``orchdsl logs --format json`` (and the dashboard's /api/): one
    document per ``(task, attempt number, lines)``."""
    from orchdsl.cli.logs_output import shown

    documents = []
    for task, number, found in attempts:
        attempt = next(a for a in job.tasks[task].attempts if a.number == number)
        documents.append({
            "task": task, "attempt": number, "exit_code": attempt.exit_code,
            "reason": attempt.reason,
            "lines": [{"at": datetime.fromtimestamp(line.at, timezone.utc).isoformat(),
                       "stream": "stdout" if line.stream == "o" else "stderr",
                       "text": shown(line, False)} for line in found]})
    return documents


def _follow(store, job, args) -> int:
    """Lines as the store gets them (the runner writes what tasks print every 0.5 s), each
    after its task's name as ``orchdsl run --stream`` shows them, until the job has ended."""
    from orchdsl.cli.history_view import seen
    from orchdsl.cli.logs_output import Lines, prefix, shown

    lines, last_id = Lines(), 0
    while True:
        finished = job.state.finished
        chunks = store.logs(job.job_id, last_id)
        done = []
        for chunk in chunks:
            last_id = chunk.id
            done += lines.add(chunk.task, chunk.attempt, chunk.pieces)
        if finished:
            done += lines.close()
        for (task, attempt), line in done:
            if _wanted(args, task, attempt):
                before = "" if args.raw else prefix(task, attempt, line)
                sys.stdout.write(before + shown(line, args.timestamps) + "\n")
        sys.stdout.flush()
        if finished:
            return exits.OK
        time.sleep(FOLLOW_POLL_S)
        job = store.job(job.job_id)
        seen(store, [job])
