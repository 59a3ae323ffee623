"""``manage.py relay_key --tenant SLUG [--name NAME] [--scope S ...]``: a new relay API key.

Prints the key alone on stdout (scripts capture it); the key is stored hashed and its creation
is audited. Without ``--scope`` the key gets every scope.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Tenant
from api.keys import SCOPES, create_key


class Command(BaseCommand):
    help = "Create a relay API key for a tenant. The key is printed once and stored hashed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="The tenant's slug.")
        parser.add_argument("--name", default="", help="What the key is for (e.g. relay-eu-1).")
        parser.add_argument(
            "--scope",
            action="append",
            choices=list(SCOPES),
            help="A scope to grant (repeat for several); default: all of them.",
        )

    def handle(
        self, *args: Any, tenant: str, name: str, scope: list[str] | None, **options: Any
    ) -> None:
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"no tenant with slug {tenant!r}")
        _, secret = create_key(found, name, scope, actor="manage.py relay_key")
        self.stdout.write(secret)
