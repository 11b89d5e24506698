"""A job run in the test's own trio loop through the one job runner (orchdsl.runner.job),
with an observer and a handle to cancel it: what the runner tests drive."""

from __future__ import annotations

from orchdsl.runner.job import Cancel, RunOptions, run_job


class JobUnderTest:
    def __init__(self, plan, observer=None, store=None, notify_me=(), notifier=None, **options):
        self.plan, self.observer, self.store, self.notify_me = plan, observer, store, notify_me
        self.notifier = notifier
        self.job = None  # the job, once it ran
        self.options = RunOptions(**options)
        self._cancel = Cancel()

    async def run(self):
        self.job = await run_job(self.plan, store=self.store, notify_me=self.notify_me,
                                 notifier=self.notifier,
                                 observers=(self.observer,) if self.observer else (),
                                 cancel=self._cancel, options=self.options)
        return self.job

    def cancel(self, why: str) -> None:
        self._cancel.cancel(why)
