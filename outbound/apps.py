from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OutboundConfig(AppConfig):
    name = "outbound"
    verbose_name = "Outbound webhooks"

    def ready(self) -> None:
        from outbound import receivers
        from outbound.tasks import install_schedules

        receivers.connect()
        post_migrate.connect(install_schedules, sender=self, dispatch_uid="outbound-schedules")
