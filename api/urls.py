"""The relay API's URLs, mounted under /api/ (beside ``tokens.api_urls``)."""

from __future__ import annotations

from django.urls import path

from api.v1 import api

urlpatterns = [
    path("v1/", api.urls),
]
