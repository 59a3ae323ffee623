"""The fake Slack's ``auth.revoke``: the token (user or bot) stops working at once.

As https://docs.slack.dev/reference/methods/auth.revoke: the token is the caller's own
(``Authorization: Bearer`` or ``token``), ``test=1`` answers without revoking, and the answer is
``{"ok": true, "revoked": true}``; an unknown token is ``invalid_auth``, none ``not_authed``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from platforms.sandbox import core
from platforms.sandbox.fakes.slack.api import _caller, _email, _params, _token_value
from platforms.sandbox.fakes.slack.state import PLATFORM, answer, fail


@csrf_exempt
def auth_revoke(request: HttpRequest) -> HttpResponse:
    params = _params(request)
    value = _token_value(request, params)
    token = _caller(value)
    if hit := core.intercept(request, PLATFORM, "revoke", _email(token)):
        return hit
    if not value:
        return fail("not_authed")
    if token is None:
        return fail("invalid_auth")
    if token.revoked:
        return fail("token_revoked")
    testing = str(params.get("test", "")).lower() in {"1", "true"}
    if not testing:
        token.revoked = True
        token.save(update_fields=["revoked"])
    return answer({"ok": True, "revoked": not testing})
