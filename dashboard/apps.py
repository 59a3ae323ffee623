from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Dashboard"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dashboard.receivers import refresh_after_check
        from dashboard.tasks import install_schedule
        from tokens.signals import credential_checked

        credential_checked.connect(refresh_after_check, dispatch_uid="dashboard-snapshot-follow")

        # After every migrate (and so on a fresh database): the snapshot schedule exists once.
        post_migrate.connect(install_schedule, sender=self, dispatch_uid="dashboard-schedule")
