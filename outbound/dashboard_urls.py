"""The Webhooks pages, mounted at /dashboard/relay/webhooks/."""

from __future__ import annotations

from django.urls import path

from outbound import dashboard_views as views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("new/", views.endpoint_create, name="create"),
    path("<int:pk>/", views.endpoint_detail, name="detail"),
    path("<int:pk>/rotate/", views.endpoint_rotate, name="rotate"),
    path("<int:pk>/toggle/", views.endpoint_toggle, name="toggle"),
    path("deliveries/<int:pk>/send-again/", views.delivery_resend, name="resend"),
]
