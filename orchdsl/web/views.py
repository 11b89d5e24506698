"""What the orchestrations page shows of each served file (docs/dashboard.md): its name and
description, its next fires, its last job and a sparkline of recent durations; and the
compiled files behind it, compiled again only when a file changed."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone

from orchdsl.model import JobResult

RECENT = 20  # jobs in a sparkline
NEXT_FIRES = 3
SPARK_WIDTH, SPARK_HEIGHT = 120.0, 24.0


@dataclass(frozen=True)
class Spark:
    job_id: int
    x: float
    y: float
    height: float
    state: str
    title: str


@dataclass(frozen=True)
class Summary:
    path: str
    name: str
    description: str | None
    error: str | None  # why the file does not compile
    fires: tuple  # next_cmd.FileFire
    last: JobResult | None
    sparks: tuple[Spark, ...]


class Compiler:
    """Compiled files by path, kept while neither the file nor its nested files change."""

    def __init__(self):
        self._cache: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def compiled(self, path: str):
        """The compiled file, or the one-line reason it does not compile (a str)."""
        from orchdsl.scheduling.watch import fingerprint

        with self._lock:
            found = self._cache.get(path)
        if found is not None and fingerprint(found[0]) == found[1]:
            return found[2]
        result = _compile(path)
        paths = [path, *(getattr(result, "children", None) or {})]
        with self._lock:
            self._cache[path] = (paths, fingerprint(paths), result)
        return result


def _compile(path: str):
    from orchdsl.compiler import CompileError, compile_file
    from orchdsl.lang.source import SourceError

    try:
        return compile_file(path)
    except SourceError as exc:
        return str(exc)
    except CompileError as exc:
        return str(exc).splitlines()[0] if str(exc) else "the file has errors"


def summary(compiler: Compiler, store, path: str, now: datetime | None = None) -> Summary:
    """One served file as the orchestrations page shows it (``store`` is a reader)."""
    from orchdsl.cli.history_view import seen
    from orchdsl.cli.next_cmd import next_fires
    from orchdsl.store import JobQuery

    now = now or datetime.now(timezone.utc)
    compiled = compiler.compiled(path)
    jobs = seen(store, store.jobs(JobQuery(file=path, limit=RECENT)))
    if isinstance(compiled, str):
        name = jobs[0].orchestration if jobs else path.rsplit("/", 1)[-1]
        return Summary(path, name, None, compiled, (), jobs[0] if jobs else None, sparks(jobs))
    orchestration = compiled.orchestration
    fires = tuple(next_fires([(path, orchestration.schedules)], now, NEXT_FIRES))
    return Summary(path, orchestration.name.value, orchestration.description, None, fires,
                   jobs[0] if jobs else None, sparks(jobs))


def sparks(jobs: list[JobResult]) -> tuple[Spark, ...]:
    """Bars of the durations of the finished jobs among ``jobs`` (newest first), oldest on
    the left, as tall as they took against the longest."""
    from orchdsl.durations import measured

    done = [j for j in reversed(jobs) if j.duration_s is not None]
    longest = max((j.duration_s for j in done), default=0) or 1
    step = SPARK_WIDTH / RECENT
    found = []
    for i, job in enumerate(done):
        height = max(job.duration_s / longest * SPARK_HEIGHT, 1.5)
        found.append(Spark(job.job_id, round(i * step, 2), round(SPARK_HEIGHT - height, 2),
                           round(height, 2), job.state.value,
                           f"job {job.job_id}: {job.state.value}, {measured(job.duration_s)}"))
    return tuple(found)
