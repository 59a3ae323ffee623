"""The relay API's URLs, mounted under /api/: the versioned API and the older failure report."""

from __future__ import annotations

from django.urls import path
from django.views.decorators.http import require_GET

from api import relay_failures
from api.v1 import api

v1_patterns, app_name_v1, namespace_v1 = api.urls
for pattern in v1_patterns:
    # The description, its docs page and the API's root only read: other methods get 405.
    if pattern.name in ("openapi-json", "openapi-view", "api-root"):
        pattern.callback = require_GET(pattern.callback)

urlpatterns = [
    path("v1/", (v1_patterns, app_name_v1, namespace_v1)),
    path("relay-failures/", relay_failures.relay_failures, name="relay-failures"),
]
