"""The scheduler's files: found (folders walked again), compiled, reloaded when they change,
and their schedules put in the table, each continuing from its last fire in the store
(docs/language.md, "What the scheduler holds", "Reload")."""

from __future__ import annotations

import os
from datetime import datetime

import trio

from orchdsl.compiler import CompileError, compile_file
from orchdsl.lang.source import SourceError
from orchdsl.scheduling import watch
from orchdsl.scheduling.events import Kind
from orchdsl.scheduling.joblog import time_of
from orchdsl.scheduling.schedule import Schedule, schedules_of
from orchdsl.scheduling.table import Entry
from orchdsl.scheduling.watched import Watched, nested_of, sha256_of


class Loading:
    """The file half of ``daemon.Scheduler`` (a mixin: it shares the scheduler's table,
    files, store and log)."""

    # -- files ----------------------------------------------------------------------------------

    async def _watch_loop(self) -> None:
        while True:
            await trio.sleep(self.watch_interval_s)
            self._scan(starting=False)

    def _scan(self, starting: bool) -> None:
        """Find the files (folders walked again), and load those that are new or changed."""
        found = watch.orch_files(self.paths)
        for shown in found:
            path = os.path.abspath(shown)
            if path not in self.watched:
                self.watched[path] = Watched(shown, path, files=(path,))
        for watched in list(self.watched.values()):
            fingerprint = watch.fingerprint(watched.files)
            if fingerprint != watched.fingerprint:
                watched.fingerprint = fingerprint
                self._load(watched, starting)
        if not starting:
            self._wake.set()

    def _load(self, watched: Watched, starting: bool) -> None:
        if not watch.exists(watched.path):
            if watched.compiled is not None or starting:
                self._unload(watched, "the file is gone" if not starting else "no such file")
            return
        try:
            compiled = compile_file(watched.shown)
        except SourceError as exc:
            self._log(Kind.UNREADABLE, f"{exc}{self._kept(watched)}", file=watched.path)
            return
        except CompileError as exc:
            self._log(Kind.INVALID, f"{watched.shown}: {len(exc.diagnostics)} error"
                      f"{'s' * (len(exc.diagnostics) != 1)}{self._kept(watched)}",
                      file=watched.path, diagnostics=tuple(exc.diagnostics), texts=exc.texts)
            return
        nested = nested_of(compiled)
        watched.files = (watched.path, *nested)
        watched.fingerprint = watch.fingerprint(watched.files)
        version = sha256_of("\0".join([compiled.document.text,
                                      *(c.document.text for c in nested.values())]))
        if version == watched.version:
            return  # touched, not changed
        reloaded = watched.compiled is not None
        watched.compiled, watched.version = compiled, version
        watched.text_hash = sha256_of(compiled.document.text)  # as the engine records it
        self._take_schedules(watched, starting, reloaded)

    @staticmethod
    def _kept(watched: Watched) -> str:
        if watched.compiled is None:
            return "; not scheduled until it is fixed"
        return "; the version loaded before runs on"

    def _unload(self, watched: Watched, why: str) -> None:
        entries = self.table.of_file(watched.path)
        for entry in entries:
            self.table.remove(entry)
        if watched.waiting is not None:
            self._skip(watched, watched.waiting, f"{why} (its schedules stopped)")
            watched.waiting = None
        watched.compiled, watched.text_hash, watched.version = None, None, None
        self._log(Kind.REMOVED, f"{watched.shown}: {why}; {len(entries)} schedule"
                  f"{'s' * (len(entries) != 1)} stopped; watching for it to come back",
                  file=watched.path)

    def _take_schedules(self, watched: Watched, starting: bool, reloaded: bool) -> None:
        now = self.clock.now()
        wanted = schedules_of(watched.compiled.orchestration)
        current = {e.key: e for e in self.table.of_file(watched.path)}
        for key in current.keys() - wanted.keys():
            self.table.remove(current[key])
        if watched.waiting is not None and watched.waiting.key not in wanted:
            # Its schedule was removed: it does not run (recorded as skipped, as a fire of a
            # file that went away is).
            self._skip(watched, watched.waiting, "its schedule was removed from the file")
            watched.waiting = None
        for key, schedule in wanted.items():
            entry = current.get(key)
            if entry is not None and entry.schedule.timezone == schedule.timezone:
                entry.schedule = schedule  # overlap or catchup may have changed
            else:
                if entry is not None:  # another zone: its next fire is another instant
                    self.table.remove(entry)
                entry = self._new_entry(watched, key, schedule, now, starting)
            self._log(Kind.LOADED, f"{watched.shown} {schedule.shown()} (overlap "
                      f"{schedule.overlap.value}, catchup {schedule.catchup.value})"
                      f"{' reloaded' if reloaded else ''}: next fire "
                      f"{time_of(entry.due, schedule)}",
                      file=watched.path, due=entry.due)
        if not wanted:
            self._log(Kind.IGNORED, f"{watched.shown}: no schedule"
                      f"{'; its schedules stopped' if current else ''} (watched for changes)",
                      file=watched.path)

    def _new_entry(self, watched: Watched, key: str, schedule: Schedule, now: datetime,
                   starting: bool) -> Entry:
        entry = Entry(watched.path, key, schedule)
        try:
            entry.last = self.store.last_fire(watched.path, key)
            if entry.last is None:
                # Taken on now: a scheduler that stops before the first fire and starts again
                # later knows which fires it missed (catchup last); so does this one when
                # its first fire is noticed late.
                entry.last = now
                self.store.record_fire(watched.path, key, now)
        except self._store_errors as exc:
            entry.last = entry.last or now
            self._log(Kind.ERROR, f"{watched.shown} {schedule.shown()}: the job store cannot "
                      f"be read or written ({exc})", file=watched.path)
        if starting:
            self._resume(entry, now)
        else:  # a schedule added by an edit: from now on, nothing to catch up
            start = max(entry.last, now) if entry.last is not None else now
            self.table.put(entry, schedule.next_after(start))
        return entry
