"""``manage.py graph_client_state <Entra tenant id>``: the clientState to subscribe with."""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from platforms.teams.subscriptions import client_state_for

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class Command(BaseCommand):
    help = (
        "Print the clientState of the Graph subscription for one Entra tenant (each "
        "subscription has its own, derived from GRAPH_CLIENT_STATE)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tenant_id", help="the Entra tenant (directory) id, a GUID")

    def handle(self, *args: Any, tenant_id: str, **options: Any) -> None:
        if not GUID.match(tenant_id.strip()):
            raise CommandError(
                "the Entra tenant id is a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
            )
        state = client_state_for(tenant_id)
        if not state:
            raise CommandError("GRAPH_CLIENT_STATE is not set: there is no key to derive from.")
        self.stdout.write(state)
