"""``manage.py rotate_token_keys``: re-encrypt every token under the newest key."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from tokens.mfa import rotate_authenticators
from tokens.rotation import encrypted_fields, rotate_model


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored token and second-factor secret under the first key of "
        "TOKEN_ENCRYPTION_KEYS. "
        "Safe to interrupt and run again; drop an old key only after a run that finished."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            self.stderr.write("--batch-size must be at least 1")
            sys.exit(2)
        for model, columns in encrypted_fields():
            total = model._default_manager.count()
            with tqdm(
                total=total,
                desc=model._meta.label,
                unit="rows",
                file=sys.stderr,
                disable=not sys.stderr.isatty(),
            ) as bar:
                stats = rotate_model(model, columns, batch_size=batch_size, progress=bar.update)
            self.stdout.write(
                f"{model._meta.label}: {stats.rows} rows, {stats.rewritten} tokens re-encrypted, "
                f"{stats.skipped_current} already current, {stats.raced} changed meanwhile "
                f"(written by a worker; run again to be sure)."
            )
        # Dashboard users' second factors (TOTP secrets, recovery-code seeds): same keys.
        mfa = rotate_authenticators(batch_size=batch_size)
        self.stdout.write(
            f"mfa.Authenticator: {mfa.rows} rows, {mfa.rewritten} second-factor secrets "
            "re-encrypted."
        )
        self.stdout.write(self.style.SUCCESS("Rotation finished."))
