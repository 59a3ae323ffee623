"""The end user's re-sync pages: landing -> the platform's sign-in -> callback -> success.

The landing page (GET) changes nothing, so link scanners and chat unfurlers that fetch it do no
harm; the button POSTs (CSRF) to ``start``, which begins the platform's OAuth flow (state and
PKCE live in the adapter's ``flow``, kept in the session). The callback checks that the
platform came back with the *same* upstream account that broke — anything else is refused with
nothing stored — then takes the single-use link, stores the new tokens encrypted, records the
re-sync as a check (whose signal resolves the incident and queues the confirmations), all in
one transaction.

The session keeps each started sign-in under its OAuth ``state`` (the last ``MAX_FLOWS``), so
a double click or a second tab starts a second sign-in without breaking the first, and the
callback only ever consumes the sign-in its ``state`` names: a stray or forged request to the
callback (an unknown state, an ``error=access_denied`` someone else crafted) gets the problem
page and leaves the sign-in in progress untouched.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Person, ResyncLink
from accounts.resync import links
from mio_heal.clientip import client_ip
from notifications import services
from notifications.texts import users
from platforms.base import CheckOutcome, Identity
from platforms.errors import PlatformError
from platforms.keys import Platform
from platforms.registry import get_adapter
from platforms.revocation import revoke_unwanted
from tokens.models import CheckRecord, Credential, PlatformAccount
from tokens.provisioning import attach_account
from tokens.recording import record
from tokens.situations import CATALOGUE, Audience

log = logging.getLogger(__name__)

SESSION_KEY = "mio_resync_flows"
# The last finished re-sync of this browser: the success page is a redirect target (so a reload
# shows the success again, never "this sign-in can't be finished"), and a repeated callback of
# a finished sign-in (the back button) leads there too.
DONE_KEY = "mio_resync_done"
# Sign-ins one browser may have in progress at once; starting another drops the oldest.
MAX_FLOWS = 5
# Fresh-link requests by email from one address: at most this many per hour.
EMAIL_REQUESTS_PER_HOUR = 5


def redirect_uri() -> str:
    return f"{settings.SITE_URL}{reverse('resync:callback')}"


def _label(platform: str) -> str:
    return Platform(platform).label


def problem(
    request: HttpRequest,
    kind: str,
    *,
    status: int,
    link: ResyncLink | None = None,
    token: str = "",
    **extra: Any,
) -> HttpResponse:
    """One friendly page for everything that went wrong, with the way forward."""
    context = {
        "kind": kind,
        "link": link,
        "token": token,
        "platform": _label(link.account.platform) if link else "",
        **extra,
    }
    return render(request, "accounts/resync_problem.html", context, status=status)


def _bad_link(
    request: HttpRequest, token: str, link: ResyncLink | None, issue: Any
) -> HttpResponse:
    if issue == links.Problem.INVALID:
        return problem(request, "invalid", status=404)
    return problem(request, issue.value, status=410, link=link, token=token)


@require_GET
def landing(request: HttpRequest, token: str) -> HttpResponse:
    link, issue = links.read(token)
    if issue is not None:
        return _bad_link(request, token, link, issue)
    assert link is not None
    account = link.account
    situation = link.incident.situation if link.incident else ""
    return render(
        request,
        "accounts/resync_landing.html",
        {
            "link": link,
            "token": token,
            "person": link.person,
            "account": account,
            "platform": _label(account.platform),
            "why": users.WHY.get(situation, users.DEFAULT_WHY).format(p=_label(account.platform)),
        },
    )


@require_POST
def start(request: HttpRequest, token: str) -> HttpResponse:
    link, issue = links.read(token)
    if issue is not None:
        return _bad_link(request, token, link, issue)
    assert link is not None
    adapter = get_adapter(link.account.platform)
    try:
        begun = adapter.begin_oauth(
            redirect_uri=redirect_uri(),
            login_hint=link.account.email or link.person.email,
        )
    except Exception:  # the platform or its adapter failed: a clear page, never a 500
        log.exception("re-sync %s: begin_oauth failed", link.pk)
        return problem(request, "platform", status=502, link=link, token=token)
    state = _state_of(begun.url, begun.flow)
    if not state:
        log.error("re-sync %s: the %s sign-in has no state", link.pk, link.account.platform)
        return problem(request, "platform", status=502, link=link, token=token)
    flows = _flows(request)
    flows.pop(state, None)
    flows[state] = {"link": link.pk, "token": token, "flow": begun.flow}
    while len(flows) > MAX_FLOWS:
        flows.pop(next(iter(flows)))
    request.session[SESSION_KEY] = flows
    return HttpResponseRedirect(begun.url)


def _state_of(url: str, flow: dict[str, Any]) -> str:
    """The sign-in's OAuth state: what the platform sends back to the callback."""
    state = flow.get("state") if isinstance(flow, dict) else None
    if not state:
        state = (parse_qs(urlsplit(url).query).get("state") or [""])[0]
    return str(state or "")


def _flows(request: HttpRequest) -> dict[str, dict[str, Any]]:
    saved = request.session.get(SESSION_KEY)
    if not isinstance(saved, dict):
        return {}
    return {
        str(state): flow
        for state, flow in saved.items()
        if isinstance(flow, dict) and "token" in flow and "flow" in flow
    }


@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    params = {k: v for k, v in request.GET.items() if isinstance(v, str)}
    flows = _flows(request)
    state = params.get("state", "")
    saved = flows.get(state) if state else None
    if saved is None:
        done_before = request.session.get(DONE_KEY)
        if state and isinstance(done_before, dict) and done_before.get("state") == state:
            return HttpResponseRedirect(reverse("resync:done"))
        # Not an answer to a sign-in this browser started: consume nothing.
        return problem(request, "state" if flows else "session", status=400)
    # The answer to this sign-in: it is used up, whatever it says.
    del flows[state]
    request.session[SESSION_KEY] = flows
    token = str(saved["token"])
    link, issue = links.read(token)
    if issue is not None:
        return _bad_link(request, token, link, issue)
    assert link is not None
    account = link.account
    if params.get("error") == "access_denied":
        return problem(request, "cancelled", status=400, link=link, token=token)
    try:
        grant = get_adapter(account.platform).finish_oauth(
            saved["flow"], params, redirect_uri=redirect_uri()
        )
    except ValueError as exc:
        log.warning("re-sync %s: refused OAuth answer: %s", link.pk, exc)
        return problem(request, "state", status=400, link=link, token=token)
    except PlatformError as exc:
        audience = CATALOGUE[exc.situation.value].audience
        return problem(
            request,
            "refused",
            status=502,
            link=link,
            token=token,
            admin_needed=audience == Audience.ADMIN,
            situation=CATALOGUE[exc.situation.value].key.label,
        )
    except Exception:  # an unexpected answer: a clear page, never a 500
        log.exception("re-sync %s: finish_oauth failed", link.pk)
        return problem(request, "platform", status=502, link=link, token=token)
    if grant.upstream_user_id != account.upstream_user_id or (
        grant.workspace_id and account.workspace_id and grant.workspace_id != account.workspace_id
    ):
        # Someone signed in as another account: storing it would relay as the wrong person.
        log.warning("re-sync %s: came back as another upstream account; nothing stored", link.pk)
        # Nor is that account's new token left valid at the platform, where it can be revoked;
        # unless Mio serves that account too (revoking could end its own working grant).
        if not PlatformAccount.objects.filter(
            platform=account.platform, upstream_user_id=grant.upstream_user_id
        ).exists():
            revoke_unwanted(account.platform, grant)
        return problem(
            request,
            "wrong_account",
            status=409,
            link=link,
            token=token,
            expected=account.email or link.person.email,
        )
    try:
        with transaction.atomic():
            if not links.use(link):
                return problem(request, "used", status=410, link=link, token=token)
            before = Credential.objects.filter(pk=account.credential_id).first()
            fresh = attach_account(link.person, account.platform, grant)
            credential = before or Credential.objects.get(pk=fresh.credential_id)
            # Recorded as a check from the state it was in: its signal resolves the incident
            # ("user re-sync") and queues the confirmations, in this same transaction.
            record(
                credential,
                CheckOutcome(None, identity=Identity(grant.upstream_user_id, grant.workspace_id)),
                source=CheckRecord.Source.RESYNC,
            )
    except IntegrityError:
        # e.g. that upstream account is already linked to another of Mio's accounts: the whole
        # transaction rolled back, so nothing is stored and the link is still unused.
        log.warning("re-sync %s: storing the grant conflicts with another account", link.pk)
        return problem(request, "conflict", status=409, link=link, token=token)
    request.session[DONE_KEY] = {
        "state": state,
        "platform": _label(account.platform),
        "name": link.person.name or link.person.email,
    }
    return HttpResponseRedirect(reverse("resync:done"))


@require_GET
def done(request: HttpRequest) -> HttpResponse:
    """The success page, as often as it is reloaded (it changes nothing)."""
    finished = request.session.get(DONE_KEY)
    if not isinstance(finished, dict):
        return problem(request, "session", status=404)
    return render(
        request,
        "accounts/resync_success.html",
        {"platform": finished.get("platform", ""), "name": finished.get("name", "")},
    )


@require_POST
def fresh(request: HttpRequest, token: str) -> HttpResponse:
    link, _issue = links.read(token)
    if link is None:
        return problem(request, "invalid", status=404)
    outcome = services.request_fresh_link(link)
    status = 429 if outcome == services.FreshLink.TOO_SOON else 200
    return render(
        request,
        "accounts/resync_fresh.html",
        {"outcome": outcome, "platform": _label(link.account.platform), "link": link},
        status=status,
    )


@require_POST
def fresh_by_email(request: HttpRequest) -> HttpResponse:
    """From the invalid-link page: the same answer whoever asks, so it reveals nobody.

    The per-address limit here is a first line in the cache (per process unless ``CACHE_URL``
    names a shared one); what holds across processes and addresses is the per-person limit in
    the database, which
    ``services.request_fresh_link`` applies (``FRESH_LINKS_PER_HOUR``).
    """
    email = str(request.POST.get("email", "")).strip().lower()
    if "@" not in email or len(email) > 254:
        return problem(request, "invalid", status=400, email_error=True)
    key = f"mio-resync-fresh:{client_ip(request)}"
    cache.add(key, 0, timeout=3600)
    if cache.incr(key) > EMAIL_REQUESTS_PER_HOUR:
        return render(request, "accounts/resync_fresh.html", {"outcome": "too_soon"}, status=429)
    for person in Person.objects.filter(email__iexact=email):
        latest = (
            ResyncLink.objects.filter(person=person)
            .select_related("person__tenant", "account", "incident")
            .order_by("-created_at")
            .first()
        )
        if latest is not None:
            services.request_fresh_link(latest)
    return render(request, "accounts/resync_fresh.html", {"outcome": "by_email"})
