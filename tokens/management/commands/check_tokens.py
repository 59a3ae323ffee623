"""``manage.py check_tokens [--tenant SLUG] [--platform KEY] [--json]``: check now (DESIGN.md).

Checks every matching account's credential at once through the health engine (claims, parallel
checks per platform, recording, the ``credential_checked`` signal), then prints each account:
a table, or with ``--json`` ONE JSON list of objects with ``tenant``, ``person`` (email),
``platform``, ``state``, ``situation`` (key or null), ``audience`` (``admin``, ``user``,
``operator`` or null) and ``evidence`` (what the platform said, or null when healthy).
A progress bar goes to stderr when it is a terminal.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from accounts.models import Tenant
from platforms.registry import ADAPTERS
from tokens.models import CheckRecord, PlatformAccount
from tokens.services import check_now
from tokens.situations import audience_key


class Command(BaseCommand):
    help = "Check the matching accounts' tokens now and print what was found."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="Only this tenant (its slug).")
        parser.add_argument("--platform", choices=sorted(ADAPTERS), help="Only this platform.")
        parser.add_argument("--json", action="store_true", help="Print one JSON list.")

    def handle(self, *args: Any, tenant: str | None, platform: str | None, **options: Any) -> None:
        accounts = PlatformAccount.objects.exclude(credential=None)
        if tenant:
            if not Tenant.objects.filter(slug=tenant).exists():
                raise CommandError(f"no tenant with slug {tenant!r}")
            accounts = accounts.filter(person__tenant__slug=tenant)
        if platform:
            accounts = accounts.filter(platform=platform)
        ids = list(accounts.values_list("credential_id", flat=True))
        with tqdm(
            total=len(ids),
            desc="Checking tokens",
            unit="account",
            file=sys.stderr,
            disable=not sys.stderr.isatty(),
        ) as bar:
            check_now(ids, CheckRecord.Source.MANUAL, progress=bar.update)
        rows = [
            _row(account)
            for account in accounts.select_related("person__tenant", "credential").order_by(
                "person__tenant__slug", "person__email", "platform"
            )
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        self._table(rows)

    def _table(self, rows: list[dict[str, Any]]) -> None:
        header = ("TENANT", "PERSON", "PLATFORM", "STATE", "SITUATION", "AUDIENCE")
        lines = [header] + [
            (
                r["tenant"],
                r["person"],
                r["platform"],
                r["state"],
                r["situation"] or "-",
                r["audience"] or "-",
            )
            for r in rows
        ]
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        for line in lines:
            self.stdout.write(
                "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True))
            )
        unhealthy = sum(1 for r in rows if r["state"] != "healthy")
        style = self.style.SUCCESS if not unhealthy else self.style.WARNING
        self.stdout.write(style(f"{len(rows)} account(s), {unhealthy} not healthy."))


def _row(account: PlatformAccount) -> dict[str, Any]:
    credential = account.credential
    situation = credential.situation or None
    return {
        "tenant": account.person.tenant.slug,
        "person": account.person.email,
        "platform": account.platform,
        "state": credential.state,
        "situation": situation,
        "audience": audience_key(situation),
        "evidence": credential.last_evidence if situation else None,
        "upstream_user_id": account.upstream_user_id,
        "checked_at": credential.last_checked_at.isoformat()
        if credential.last_checked_at
        else None,
    }
