"""``manage.py unlock_login LOGIN``: lift a dashboard user's sign-in lockout (audited)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.demo.mfa import find_login
from audit.records import record
from dashboard import lockout


class Command(BaseCommand):
    help = "Lift the sign-in lockout of a dashboard user (after repeated failed sign-ins)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("login", help="the user's username or email")

    def handle(self, *args: Any, login: str, **options: Any) -> None:
        user = find_login(login)
        if user is None:
            raise CommandError(f"no dashboard user {login!r}")
        was_locked = lockout.unlock(lockout.subject_of_user(user))
        record(
            None,
            "admin.user.unlock_sign_in",
            tenant_id=None,
            target=user,
            detail={"was_locked": was_locked},
            actor="manage.py unlock_login",
        )
        state = "unlocked" if was_locked else "was not locked; its count is cleared"
        self.stdout.write(f"{user.get_username()}: {state}.")
