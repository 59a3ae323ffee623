"""The project's URLs plus the benchmark's baseline: a trivial JSON view behind the same key
check as the relay API (``GET /bench/ping/``), so the token API is compared like for like."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import path
from ninja import NinjaAPI

from api.keys import KeyAuth
from mio_heal.urls import urlpatterns as project

ping_api = NinjaAPI(urls_namespace="bench-ping", docs_url=None, openapi_url=None)


@ping_api.get("/", auth=KeyAuth("tokens:read"))
def ping(request: HttpRequest) -> dict:
    return {"ok": True}


urlpatterns = [path("bench/ping/", ping_api.urls), *project]
