"""Platform keys: the one list every app shares (DESIGN.md: slack, teams, zoom, webex)."""

from __future__ import annotations

from django.db import models


class Platform(models.TextChoices):
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams"
    ZOOM = "zoom", "Zoom Team Chat"
    WEBEX = "webex", "Webex"
