"""``manage.py init_deploy --site-url URL --database-url URL [--output mio.env]``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from operations.envfile import PLATFORM_VARIABLES, gaps, parse
from operations.envfile import fresh as fresh_env


class Command(BaseCommand):
    help = (
        "Write a production env file with a fresh SECRET_KEY, TOKEN_ENCRYPTION_KEYS and "
        "METRICS_TOKEN (mode 0600), and print what is left to fill in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", default="mio.env", help="where to write (default mio.env)")
        parser.add_argument(
            "--site-url", required=True, help="public https base, e.g. https://heal.example.com"
        )
        parser.add_argument(
            "--database-url",
            default="postgres://mio:CHANGE-ME@127.0.0.1:5432/mio",
            help="PostgreSQL URL (default: a placeholder to edit)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["output"])
        site_url = options["site_url"].rstrip("/")
        if not site_url.startswith("https://"):
            raise CommandError("--site-url must be the public https:// address of the site.")
        text = fresh_env(site_url, options["database_url"])
        try:
            # O_EXCL: never overwrite an existing file (its keys may already encrypt tokens).
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as err:
            raise CommandError(
                f"{path} exists; not overwriting it (its TOKEN_ENCRYPTION_KEYS may already "
                "encrypt stored tokens). Move it away first."
            ) from err
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        self.stdout.write(
            f"Wrote {path} (mode 0600) with a fresh SECRET_KEY, TOKEN_ENCRYPTION_KEYS and "
            "METRICS_TOKEN."
        )
        self.stdout.write(
            "Back up TOKEN_ENCRYPTION_KEYS separately: without it stored tokens are unreadable."
        )
        found = gaps(parse(text))
        self.stdout.write("\nLeft to fill in:")
        if "CHANGE-ME" in options["database_url"]:
            self.stdout.write("  - DATABASE_URL: the PostgreSQL user, password, host and database")
        for key in found.recommended:
            self.stdout.write(f"  - {key} (recommended)")
        self.stdout.write("  - the platforms you use (a platform's block left empty stays off):")
        for platform, keys in PLATFORM_VARIABLES.items():
            self.stdout.write(f"      {platform}: {', '.join(keys)}")
        self.stdout.write(
            "\nThen: `manage.py platform_setup` prints what to register on each platform, "
            "`manage.py check_platforms` verifies the credentials, and `scripts/serve "
            f"{path}` starts the web server and the workers."
        )
