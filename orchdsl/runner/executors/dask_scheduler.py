"""What orchdsl asks of a Dask scheduler, as a scheduler plugin that the coordinator sends
when it connects (by value: the scheduler needs no orchdsl installed, so this module imports
nothing of orchdsl's).

- An attempt runs at most once. Dask runs a task again elsewhere when its worker dies
  (``distributed.scheduler.allowed-failures``, 3 by default): for a shell command, orchdsl
  decides instead (the task's ``retries``). As an attempt's task goes to a worker, its count
  of suspicious deaths is set to the limit, so the first death fails it (``KilledWorker``,
  which the coordinator reports as ``worker lost``). Other clients' tasks keep the
  scheduler's own setting.
- The events of orchdsl's topics (attempts' output on its way to the coordinator) are not
  kept on the scheduler once passed on: they may hold secrets, and the scheduler would keep
  up to a thousand of them per topic for its lifetime.
"""

from __future__ import annotations

from distributed.diagnostics.plugin import SchedulerPlugin

# Pickled by value, the methods take the value of the prefix along.
from orchdsl.runner.executors.dask_address import KEY_PREFIX
NAME = "orchdsl-attempts-1"  # a new behaviour gets a new name (plugins are registered once)


class AttemptsRunOnce(SchedulerPlugin):
    idempotent = True  # one per scheduler, whichever coordinator sent it first

    def __init__(self):
        self.scheduler = None

    async def start(self, scheduler) -> None:
        self.scheduler = scheduler

    def transition(self, key, start, finish, *args, **kwargs) -> None:
        if finish != "processing" or not isinstance(key, str) or \
                not key.startswith(KEY_PREFIX):
            return
        task = self.scheduler.tasks.get(key)
        if task is not None:
            task.suspicious = max(task.suspicious, self.scheduler.allowed_failures)

    def log_event(self, topic, msg) -> None:
        if isinstance(topic, str) and topic.startswith(KEY_PREFIX):
            broker = getattr(self.scheduler, "_broker", None)
            if broker is not None:
                broker.truncate(topic)
