"""``orchdsl run FILE --rerun JOB``: what the new job takes from the one it runs again
(docs/language.md, "Re-runs"): the tasks that succeeded there are left out, and unless the
command line says otherwise, the params and the selection it ran with."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from orchdsl.cli import exits
from orchdsl.cli.common import usage_error


@dataclass(frozen=True)
class Rerun:
    job_id: int
    skips: dict[str, str]  # task -> why it does not run again
    params: dict[str, str]  # the params the job ran with
    selection: dict[str, list[str] | str | None]  # its selection flags, as Selection.from_flags
    file_hash: str | None


def rerun_of(store, job_id: int, path: str) -> Rerun | int:
    """What job ``job_id`` leaves to a re-run of ``path``, or an exit code after a usage
    error (no such job, a job of another file)."""
    from orchdsl.store import shown_location

    job = store.job(job_id)
    if job is None:
        usage_error("run", f"--rerun {job_id}: no such job in {shown_location(store.location)}")
        return exits.USAGE
    if os.path.abspath(path) != job.file:
        usage_error("run", f"--rerun {job_id}: that job ran {job.file}, not {path}")
        return exits.USAGE
    skips = {t.name: f"succeeded in job {job_id}" for t in job.tasks.values()
             if t.state.value == "succeeded"}
    return Rerun(job_id, skips, dict(job.params), _flags(job.selection), job.file_hash)


def _flags(recorded: tuple[str, ...]) -> dict:
    """``("--only a,b", "--from-phase Load")`` back into Selection.from_flags keywords."""
    found: dict = {"only": [], "skip": [], "phases": [], "from_phase": None}
    for flag in recorded:
        name, _, value = flag.partition(" ")
        if name == "--from-phase":
            found["from_phase"] = value
        elif name in ("--only", "--skip", "--phase"):
            found["phases" if name == "--phase" else name[2:]].append(value)
    return found


def given_selection(args) -> bool:
    return bool(args.only or args.skip or args.phase or args.from_phase)


def warn_if_changed(rerun: Rerun, file_hash: str, path: str) -> None:
    if rerun.file_hash and rerun.file_hash != file_hash:
        sys.stderr.write(f"orchdsl run: warning: {path} changed since job {rerun.job_id} ran "
                         "it: the tasks it left run as the file is now\n")
