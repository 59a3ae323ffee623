"""``manage.py demo_fix TENANT [--situation KEY]``: play the tenant's IT admin in the sandbox.

In real life the admin fixes an admin situation in the platform's own console (excludes Mio
from the Conditional Access policy, re-enables the app, grants consent, restores the user).
In the demo the platforms are the sandbox's fakes: this clears the failure for the tenant's
accounts that wait on an admin, as the sandbox control API's ``situation`` call with ``null``
does. Nothing changes in Mio itself: "Verify now" on the dashboard then finds them working.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Tenant
from platforms.sandbox.models import SandboxUser
from tokens.models import CredentialState, PlatformAccount


class Command(BaseCommand):
    help = "Fix a demo tenant's admin situations in the platform sandbox (then: Verify now)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tenant", help="Tenant slug, e.g. contoso.")
        parser.add_argument("--situation", help="Only this situation, e.g. ca_blocked.")

    def handle(self, *args: Any, tenant: str, situation: str | None, **options: Any) -> None:
        if not settings.SANDBOX_ENABLED:
            raise CommandError("demo_fix changes the platform sandbox: enable it.")
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"No tenant {tenant!r}.")
        accounts = PlatformAccount.objects.filter(
            person__tenant=found, credential__state=CredentialState.WAITING_ADMIN
        ).select_related("person", "credential")
        if situation:
            accounts = accounts.filter(credential__situation=situation)
        fixed = []
        for account in accounts:
            email = (account.email or account.person.email).lower()
            was = account.credential.situation
            if SandboxUser.objects.filter(
                platform=account.platform, email__iexact=email, situation=was
            ).update(situation=""):
                fixed.append(f"{email} on {account.get_platform_display()} ({was})")
        if not fixed:
            self.stdout.write(f"Nothing waits on an admin in {found.name}.")
            return
        self.stdout.write(f"Fixed in the platform sandbox for {found.name}:")
        for line in fixed:
            self.stdout.write(f"  {line}")
        self.stdout.write("Now press “Verify now” on the incident in the dashboard.")
