"""Slack's push events, mounted under /hooks/slack/."""

from __future__ import annotations

from django.urls import path

from platforms.slack import webhooks

urlpatterns = [
    path("events/", webhooks.events, name="slack-events"),
]
