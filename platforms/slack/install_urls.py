""" "Add to Slack", mounted under /install/slack/ (platforms.slack.install)."""

from __future__ import annotations

from django.urls import path

from platforms.slack import install

app_name = "slack-install"

urlpatterns = [
    path("", install.start, name="start"),
    path("callback/", install.callback, name="callback"),
]
