"""Inbound, platform-signed webhooks (DESIGN.md): /hooks/<platform>/…"""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("slack/", include("platforms.slack.urls")),
    path("graph/", include("platforms.teams.urls")),
    path("zoom/", include("platforms.zoom.urls")),
]
