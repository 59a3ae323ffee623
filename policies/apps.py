from __future__ import annotations

from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = "Prompt policies"
    default_auto_field = "django.db.models.BigAutoField"
