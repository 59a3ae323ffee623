from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TokensConfig(AppConfig):
    name = "tokens"
    verbose_name = "Tokens and health"

    def ready(self) -> None:
        from tokens.tasks import install_schedules

        # After migrate (and after a test database flush): the schedules exist, exactly once.
        post_migrate.connect(install_schedules, sender=self, dispatch_uid="tokens-schedules")
