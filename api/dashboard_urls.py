"""The relay's dashboard pages, mounted at /dashboard/relay/."""

from __future__ import annotations

from django.urls import path

from api import dashboard_views

app_name = "relay-dashboard"

urlpatterns = [
    path("keys/", dashboard_views.key_list, name="keys"),
    path("keys/new/", dashboard_views.key_create, name="key-create"),
    path("keys/<int:pk>/revoke/", dashboard_views.key_revoke, name="key-revoke"),
]
