"""``manage.py demo_totp [LOGIN ...]``: the current sign-in code of demo logins (their TOTP).

The dashboard asks for a code from an authenticator app after the password. ``seed_demo
--story`` gave every demo login an authenticator; this prints what that app would show now.
With one login it also prints the secret and the otpauth:// URL, to add it to a real app.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from accounts.demo import mfa


class Command(BaseCommand):
    help = "Print the current TOTP code of demo logins (all of them when none is named)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("logins", nargs="*", help="Usernames or emails.")

    def handle(self, *args: Any, logins: list[str], **options: Any) -> None:
        if not settings.DEBUG:
            # The secrets are the users' second factor: only the demo may print them.
            raise CommandError("demo_totp is for the demo (DEBUG on) only.")
        if logins:
            users = []
            for name in logins:
                user = mfa.find_login(name)
                if user is None:
                    raise CommandError(f"No login {name!r}.")
                users.append(user)
        else:
            User = get_user_model()
            users = list(
                User.objects.filter(Q(memberships__isnull=False) | Q(is_superuser=True))
                .distinct()
                .order_by("pk")
            )
        left = mfa.seconds_left()
        for user in users:
            secret = mfa.secret_of(user)
            if secret is None:
                self.stdout.write(f"{user.get_username():<24} (no authenticator yet)")
                continue
            self.stdout.write(f"{user.get_username():<24} {mfa.code_for(secret)}")
            if len(users) == 1:
                self.stdout.write(f"  secret: {secret}")
                self.stdout.write(f"  app:    {mfa.otpauth_url(user, secret)}")
        if not users:
            self.stdout.write("No demo logins yet: run `manage.py seed_demo --story`.")
            return
        self.stdout.write(f"(valid for {left} more second{'s' if left != 1 else ''})")
