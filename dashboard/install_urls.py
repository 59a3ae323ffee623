""" "Add to Slack", mounted under /install/slack/ (dashboard.slack_install): the path Slack's
app configuration names as its redirect URL, so it stays where it was."""

from __future__ import annotations

from django.urls import path

from dashboard import slack_install as install

app_name = "slack-install"

urlpatterns = [
    path("", install.start, name="start"),
    path("callback/", install.callback, name="callback"),
]
