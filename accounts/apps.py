from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Tenants and people"

    def ready(self) -> None:
        from accounts.tasks import install_schedules

        # After migrate (and after a test database flush): the retention schedule exists once.
        post_migrate.connect(install_schedules, sender=self, dispatch_uid="accounts-schedules")
