"""Microsoft Graph's push events, mounted under /hooks/graph/."""

from __future__ import annotations

from django.urls import path

from platforms.teams import webhooks

urlpatterns = [
    path("lifecycle/", webhooks.lifecycle, name="graph-lifecycle"),
]
