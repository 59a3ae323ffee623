from __future__ import annotations

from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "platforms.sandbox"
    label = "sandbox"
    verbose_name = "Platform sandbox (local fakes)"
