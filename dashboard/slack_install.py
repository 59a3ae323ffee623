""" "Add to Slack": a tenant admin installs the Mio bot in the tenant's Slack workspace.

The dashboard owns these pages (its sign-in, scoping and audit log); Slack's part is the
platform's install helpers, ``platforms.slack.oauth.begin_install`` / ``finish_install``, so
``platforms/`` never imports the dashboard.

``start`` (GET ``/install/slack/?tenant=<slug>``, from the dashboard) sends the browser to
Slack's ``oauth/v2/authorize`` with the bot scopes; ``callback`` redeems the code
(``oauth.v2.access``) and records the installation with the bot's rotating token. Both sit
behind the dashboard's gate (signed in, with TOTP) and act only for a tenant the user is an admin
of (or for any tenant, for the operator); a viewer is refused, another tenant is "not found".

The ``state`` is ``signing.dumps({"t": tenant id, "n": nonce})``: signed (a forged one fails its
signature), expiring (``STATE_MAX_AGE``), and bound to this browser and tenant, since the session
keeps each started install under its nonce with the tenant and user it was started for.
The callback pops the nonce first, so a state is used once whatever the answer says.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from accounts.models import Tenant
from dashboard.access import dashboard_page
from dashboard.audit import record
from dashboard.scoping import can_act, tenants
from platforms.errors import PlatformError
from platforms.slack import oauth
from platforms.slack.client import PLATFORM
from tokens.models import Installation
from tokens.provisioning import record_installation

log = logging.getLogger(__name__)

SESSION_KEY = "mio_slack_installs"
STATE_SALT = "mio.slack.install.state"
STATE_MAX_AGE = 15 * 60  # seconds: time enough to read Slack's consent page
# Installs one browser may have in progress at once; starting another drops the oldest.
MAX_FLOWS = 5
# What a callback parameter may be at most (Slack's codes and states are far shorter).
MAX_PARAM = 1024
SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,50}$")

PROBLEM_TEMPLATE = "slack/install_problem.html"


def redirect_uri() -> str:
    return f"{settings.SITE_URL}{reverse('slack-install:callback')}"


def problem(request: HttpRequest, kind: str, *, status: int, **extra: Any) -> HttpResponse:
    """One page for every refusal; ``kind`` picks its words."""
    return render(request, PROBLEM_TEMPLATE, {"kind": kind, **extra}, status=status)


def _tenant_for(request: HttpRequest, tenant: Tenant | None) -> HttpResponse | None:
    """None when the user may install for ``tenant``; the refusal page otherwise."""
    if tenant is None:
        # Unknown, or another tenant's: the same answer, so it reveals nothing.
        return problem(request, "tenant", status=404)
    if not can_act(request, tenant.pk):
        return problem(request, "forbidden", status=403, tenant=tenant)
    return None


@dashboard_page
def start(request: HttpRequest) -> HttpResponse:
    slug = request.GET.get("tenant", "")
    if not SLUG.match(slug):
        return problem(request, "tenant", status=400)
    tenant = tenants(request).filter(slug=slug).first()
    if refused := _tenant_for(request, tenant):
        return refused
    assert tenant is not None
    nonce = secrets.token_urlsafe(24)
    state = signing.dumps({"t": tenant.pk, "n": nonce}, salt=STATE_SALT, compress=True)
    try:
        begun = oauth.begin_install(redirect_uri=redirect_uri(), state=state)
    except Exception:  # a misconfigured app: a clear page, never a 500
        log.exception("slack install for tenant %s: could not start", tenant.pk)
        return problem(request, "slack", status=502, tenant=tenant)
    flows = _flows(request)
    flows[nonce] = {"tenant": tenant.pk, "user": request.user.pk, "flow": begun.flow}
    while len(flows) > MAX_FLOWS:
        flows.pop(next(iter(flows)))
    request.session[SESSION_KEY] = flows
    return HttpResponseRedirect(begun.url)


@dashboard_page
def callback(request: HttpRequest) -> HttpResponse:
    params = {k: v for k, v in request.GET.items() if isinstance(v, str) and len(v) <= MAX_PARAM}
    nonce, tenant_id = _read_state(params.get("state", ""))
    flows = _flows(request)
    saved = flows.pop(nonce, None) if nonce else None
    if saved is None:
        # Forged, expired, already used, or started in another browser: consume nothing else.
        return problem(request, "state", status=400)
    request.session[SESSION_KEY] = flows  # used up, whatever the answer says
    if saved.get("tenant") != tenant_id or saved.get("user") != request.user.pk:
        return problem(request, "state", status=400)
    # Asked again: the user's role may have changed while they were at Slack.
    tenant = tenants(request).filter(pk=tenant_id).first()
    if refused := _tenant_for(request, tenant):
        return refused
    assert tenant is not None
    if params.get("error") == "access_denied":
        return problem(request, "declined", status=400, tenant=tenant)
    try:
        installed = oauth.finish_install(saved["flow"], params, redirect_uri=redirect_uri())
    except ValueError as exc:
        log.warning("slack install for tenant %s: refused answer: %s", tenant.pk, exc)
        return problem(request, "state", status=400, tenant=tenant)
    except PlatformError as exc:
        log.warning(
            "slack install for tenant %s: Slack refused (%s)", tenant.pk, exc.evidence.error
        )
        return problem(
            request,
            "slack",
            status=503 if exc.transient else 400,
            tenant=tenant,
            error=exc.evidence.error,
            transient=exc.transient,
        )
    except Exception:  # an unexpected answer: a clear page, never a 500
        log.exception("slack install for tenant %s: the code exchange failed", tenant.pk)
        return problem(request, "slack", status=502, tenant=tenant)
    taken = (
        Installation.objects.filter(
            platform=PLATFORM, workspace_id=installed.team_id, is_active=True
        )
        .exclude(tenant=tenant)
        .exists()
    )
    if taken:
        # One workspace, one tenant: events and prompts are matched by workspace.
        log.warning("slack install for tenant %s: workspace belongs to another tenant", tenant.pk)
        return problem(request, "other_tenant", status=409, tenant=tenant)
    installation = record_installation(tenant, PLATFORM, installed.team_id, installed.as_bot())
    record(
        request,
        "slack.install",
        tenant_id=tenant.pk,
        target=installation,
        detail={
            "workspace_id": installed.team_id,
            "workspace": installed.team_name,
            "bot_user_id": installed.bot_user_id,
            "scopes": installed.scopes,
            "rotating": installed.refresh_token is not None,
        },
    )
    return render(
        request,
        "slack/install_success.html",
        {"tenant": tenant, "installation": installation, "installed": installed},
    )


def _read_state(value: str) -> tuple[str, int | None]:
    """The nonce and tenant id a state names; ("", None) when it is not one of ours."""
    try:
        data = signing.loads(value, salt=STATE_SALT, max_age=STATE_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is one too
        return "", None
    if not isinstance(data, dict):
        return "", None
    nonce, tenant_id = data.get("n"), data.get("t")
    if not isinstance(nonce, str) or not isinstance(tenant_id, int):
        return "", None
    return nonce, tenant_id


def _flows(request: HttpRequest) -> dict[str, dict[str, Any]]:
    saved = request.session.get(SESSION_KEY)
    if not isinstance(saved, dict):
        return {}
    return {
        str(nonce): flow
        for nonce, flow in saved.items()
        if isinstance(flow, dict) and isinstance(flow.get("flow"), dict)
    }
