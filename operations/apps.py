from __future__ import annotations

import os

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = "Operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_q.signals import post_execute_in_worker, pre_execute

        from mio_heal.dbpool import forget_inherited_pools
        from operations import checks  # noqa: F401  (registers the system checks)
        from operations.heartbeat import record_finished
        from operations.logs import task_started
        from operations.tasks import install_schedule

        # django-q2 forks its workers: each child must open a pool of its own.
        os.register_at_fork(after_in_child=forget_inherited_pools)
        post_migrate.connect(install_schedule, sender=self, dispatch_uid="operations-schedule")
        # Every task a worker finishes (also inline, with MIO_QUEUE_SYNC): the heartbeat.
        post_execute_in_worker.connect(record_finished, dispatch_uid="operations-heartbeat")
        pre_execute.connect(task_started, dispatch_uid="operations-task-id")
