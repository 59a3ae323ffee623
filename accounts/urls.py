"""End-user re-sync pages, mounted at /resync/ (the links in prompts point here)."""

from __future__ import annotations

from django.urls import path

from accounts.resync import views

app_name = "resync"

urlpatterns = [
    # Fixed paths first: a token never equals them (it always holds a ":" separator).
    path("callback/", views.callback, name="callback"),
    path("fresh/", views.fresh_by_email, name="fresh-by-email"),
    path("done/", views.done, name="done"),
    path("<str:token>/", views.landing, name="landing"),
    path("<str:token>/start/", views.start, name="start"),
    path("<str:token>/fresh/", views.fresh, name="fresh"),
]
