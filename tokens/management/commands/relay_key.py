"""``manage.py relay_key --tenant SLUG [--name NAME]``: a key for POST /api/relay-failures/."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Tenant
from tokens.relaykeys import issue_relay_key


class Command(BaseCommand):
    help = "Create a relay API key for a tenant. The key is printed once and stored hashed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="The tenant's slug.")
        parser.add_argument("--name", default="", help="What the key is for (e.g. relay-eu-1).")

    def handle(self, *args: Any, tenant: str, name: str, **options: Any) -> None:
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"no tenant with slug {tenant!r}")
        self.stdout.write(issue_relay_key(found, name))
