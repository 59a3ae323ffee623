from __future__ import annotations

from django.urls import path

from operations import views

app_name = "operations"

urlpatterns = [
    path("metrics", views.metrics, name="metrics"),
    path("dashboard/platform-apps/", views.platform_checks, name="platform-checks"),
]
