"""The worker's process pool: Celery's prefork pool, checking on its children every second.

Celery replaces a pool child that died as soon as the child's process sentinel becomes
readable, and otherwise from a timer every 5 seconds. On Redis the sentinel does not
always wake the loop, so a child killed with SIGKILL while idle was replaced only by
that timer, and a task arriving meanwhile waited for it. Checking every second bounds
that wait; a check is one non-blocking waitpid per child.
"""

from celery.concurrency import asynpool, prefork

MAINTAIN_POOL_SECONDS = 1.0


class AsynPool(asynpool.AsynPool):
    @property
    def timers(self):
        return {self.maintain_pool: MAINTAIN_POOL_SECONDS}


class TaskPool(prefork.TaskPool):
    Pool = AsynPool
