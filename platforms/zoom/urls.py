"""/hooks/zoom/…: Zoom's signed event notifications."""

from __future__ import annotations

from django.urls import path

from platforms.zoom import webhooks

urlpatterns = [
    path("events/", webhooks.events, name="zoom-events"),
]
