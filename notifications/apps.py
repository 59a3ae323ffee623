from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Incidents and prompts"

    def ready(self) -> None:
        from notifications.receivers import on_credential_checked
        from notifications.tasks import install_schedules
        from tokens.signals import credential_checked

        # Connected here, explicitly: importing a module for its side effects is easy to lose.
        credential_checked.connect(
            on_credential_checked, dispatch_uid="notifications-credential-checked"
        )
        post_migrate.connect(install_schedules, sender=self, dispatch_uid="notify-schedules")
