"""The metrics endpoint (token or network allow-list) and the operator's platform-check page."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from dashboard.access import dashboard_page
from operations.metrics import MioCollector


def _allowed(request: HttpRequest) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").encode(), token.encode())
    networks = getattr(settings, "METRICS_ALLOWED_NETWORKS", [])
    if networks:
        # The direct peer (Prometheus scrapes the process, not through the public proxy).
        try:
            peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(peer in ipaddress.ip_network(net, strict=False) for net in networks)
    return False


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        response = HttpResponse(
            "Metrics need a bearer token (METRICS_TOKEN) or an allowed network "
            "(METRICS_ALLOWED_NETWORKS).\n",
            status=401,
            content_type="text/plain",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MioCollector())
    response = HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


@dashboard_page
def platform_checks(request: HttpRequest) -> HttpResponse:
    """The operator's page of ``check_platforms``: run on each visit (a few platform calls)."""
    if not (request.user.is_superuser or request.user.is_staff):
        return render(request, "dashboard/forbidden.html", status=403)
    from platforms.appcheck import run

    findings = run()
    return render(
        request,
        "operations/platform_checks.html",
        {"findings": findings, "broken": sum(1 for f in findings if not f.ok)},
    )
