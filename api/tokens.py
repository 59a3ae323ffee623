"""``POST /api/v1/tokens/``: the access token to send with as a person, or why not."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from ninja.errors import AuthenticationError
from ninja.renderers import JSONRenderer
from pydantic import Field

from api import handout
from api.keys import DeferredKeyAuth, admit
from api.schemas import (
    AUTH_ERRORS,
    PRINTABLE,
    AccountRef,
    Error,
    PlatformKey,
    RetryLater,
    account_ref,
)
from tokens import relaykeys
from tokens.secret import reveal
from tokens.vault import VaultError

SCOPE = "tokens:read"
_JSON = JSONRenderer()  # what NinjaAPI renders answers with (the API sets no other renderer)
_JSON_TYPE = f"{_JSON.media_type}; charset={_JSON.charset}"
router = Router(tags=["tokens"], auth=DeferredKeyAuth(SCOPE))


class TokenRequest(Schema):
    platform: PlatformKey
    user: str = Field(
        min_length=1,
        max_length=254,
        pattern=PRINTABLE,
        description="The platform's user id, or the email.",
    )


class TokenOut(Schema):
    access_token: str
    token_type: Literal["Bearer"]
    expires_at: datetime | None = Field(description="null: the platform gave no expiry.")
    scopes: list[str]
    account: AccountRef


class BrokenOut(Schema):
    state: str = Field(description="waiting_user, waiting_admin, waiting_operator or disabled.")
    situation: str | None
    audience: str | None = Field(description="Who must act: user, admin, operator.")
    incident: int | None = Field(description="The open incident's id (GET /incidents/).")
    since: datetime


@router.post(
    "/",
    response={200: TokenOut, 404: Error, 409: BrokenOut, 503: RetryLater, **AUTH_ERRORS},
    summary="Take the access token to send as a person",
)
def take_token(request: HttpRequest, body: TokenRequest, response: HttpResponse):
    """A usable access token for ``user`` on ``platform`` in the key's tenant.

    Refreshed first (once, under the engine's refresh lock) when it expires within five minutes.
    **409**: the account is broken — hold the message until `account.healed`.
    **503**: the refresh failed for now — retry after `Retry-After` seconds.
    **404**: no such account in the key's tenant. Never refresh tokens yourself.
    """
    secret = request.auth  # type: ignore[attr-defined]  (the bearer token, well formed)
    user = body.user.strip()
    # The hot path: the key and the account in one query. Only when that finds nothing is the
    # key looked up alone (``KeyAuth``'s check), to tell a bad key (401) from no account (404).
    try:
        found = handout.find(secret, body.platform, user) if user else None
    except VaultError:
        return _undecryptable(response)
    if found is None:
        key = relaykeys.authenticate(secret)
        if key is None:
            raise AuthenticationError
        admit(request, key, SCOPE)
        return Status(404, {"error": f"no {body.platform} account {user!r} in this tenant"})
    key, account = found
    admit(request, key, SCOPE)
    relaykeys.note_use(key)
    try:
        account, credential = handout.token_for(account)
        access_token = reveal(credential.access_token) or ""
    except VaultError:
        return _undecryptable(response)
    except handout.Broken as broken:
        return Status(409, broken.__dict__)
    except handout.TryLater as later:
        response["Retry-After"] = str(later.retry_after)
        return Status(503, {"error": later.reason, "retry_after": later.retry_after})
    answer = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_at": credential.expires_at,
        "scopes": [str(scope) for scope in credential.scopes or []],
        "account": account_ref(account),
    }
    # The relay's hot path: ``TokenOut`` (documented above) built here from typed columns and
    # rendered as django-ninja renders it, without validating our own answer again (pydantic
    # took a tenth of a millisecond a request); api/tests/test_schema.py holds it to the schema.
    return HttpResponse(_JSON.render(request, answer, response_status=200), content_type=_JSON_TYPE)


def _undecryptable(response: HttpResponse) -> Status:
    response["Retry-After"] = "60"
    detail = "the stored token cannot be decrypted; the operator must restore the key"
    return Status(503, {"error": detail, "retry_after": 60})
