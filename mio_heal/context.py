from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {"sandbox": settings.SANDBOX_ENABLED, "site_url": settings.SITE_URL}
