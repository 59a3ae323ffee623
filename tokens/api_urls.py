"""The health engine's HTTP API, mounted under /api/."""

from __future__ import annotations

from django.urls import path

from tokens import api

urlpatterns = [
    path("relay-failures/", api.relay_failures, name="relay-failures"),
]
