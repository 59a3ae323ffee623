"""``manage.py platform_setup [--platform KEY] [--slack-manifest FILE] [--teams-package FILE]``.

Prints, from SITE_URL, exactly what to register on each platform; writes the Slack app manifest
and the Teams app package when asked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from platforms.setup import REGISTRATIONS, registration


class Command(BaseCommand):
    help = "Print what to register on each platform (redirect URIs, scopes, event URLs)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--platform", action="append", choices=sorted(REGISTRATIONS))
        parser.add_argument(
            "--slack-manifest", type=Path, help="write the Slack app manifest (JSON)"
        )
        parser.add_argument("--teams-package", type=Path, help="write the Teams app package (zip)")
        parser.add_argument("--teams-version", default="1.0.0", help="the Teams app's version")

    def handle(self, *args: Any, **options: Any) -> None:
        site_url = settings.SITE_URL
        if not site_url.startswith("https://"):
            self.stderr.write(
                f"Note: SITE_URL is {site_url}; the platforms need its public https address."
            )
        for key in options["platform"] or REGISTRATIONS:
            self.stdout.write(f"\n== {key} ==")
            for line in registration(key)(site_url):
                self.stdout.write(f"  {line.where}:\n      {line.value}")
        if path := options["slack_manifest"]:
            from platforms.slack.manifest import manifest

            path.write_text(json.dumps(manifest(site_url), indent=2) + "\n", encoding="utf-8")
            self.stdout.write(f"\nWrote the Slack app manifest to {path}.")
        if path := options["teams_package"]:
            from platforms.teams.manifest import package

            bot_app_id = settings.PLATFORM_APPS["teams"]["bot_app_id"]
            if not bot_app_id:
                raise CommandError("TEAMS_BOT_APP_ID is not set: the package names the bot.")
            path.write_bytes(package(site_url, bot_app_id, options["teams_version"]))
            self.stdout.write(f"Wrote the Teams app package to {path}.")
