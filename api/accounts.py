"""``GET /api/v1/accounts/``: the key's tenant's accounts and their state, in pages.

Ordered by when the account's state last changed (then id), so a relay that keeps the last
``next`` cursor, or passes ``updated_since``, reads only what changed.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from api.keys import KeyAuth
from api.schemas import (
    AUTH_ERRORS,
    BadCursor,
    Error,
    PlatformKey,
    StateKey,
    Timestamp,
    decode_cursor,
    encode_cursor,
)
from tokens.models import PlatformAccount
from tokens.situations import audience_key

router = Router(tags=["accounts"], auth=KeyAuth("read"))


class AccountFilters(Schema):
    platform: PlatformKey | None = None
    state: StateKey | None = None
    updated_since: Timestamp | None = Field(None, description="Only accounts changed after this.")
    cursor: str | None = Field(None, max_length=200, description="`next` of the previous page.")
    limit: int = Field(100, ge=1, le=500)


class AccountOut(Schema):
    id: int
    platform: PlatformKey
    user: str
    email: str
    person: str = Field(description="The person's email in Mio.")
    workspace: str
    state: StateKey
    situation: str | None
    audience: str | None
    since: datetime = Field(description="When the account entered its state.")
    updated_at: datetime
    last_checked_at: datetime | None
    last_used_at: datetime | None = Field(description="The relay's last successful send.")


class AccountPage(Schema):
    items: list[AccountOut]
    next: str | None = Field(description="Pass as `cursor` for the next page; null at the end.")


@router.get("/", response={200: AccountPage, 400: Error, **AUTH_ERRORS}, summary="List accounts")
def list_accounts(request: HttpRequest, filters: Query[AccountFilters]):
    tenant = request.relay_key.tenant  # type: ignore[attr-defined]
    rows = (
        PlatformAccount.objects.filter(person__tenant=tenant, credential__isnull=False)
        .select_related("person", "credential")
        .order_by("credential__updated_at", "pk")
    )
    if filters.platform:
        rows = rows.filter(platform=filters.platform)
    if filters.state:
        rows = rows.filter(credential__state=filters.state)
    if filters.updated_since:
        rows = rows.filter(credential__updated_at__gt=filters.updated_since)
    if filters.cursor:
        try:
            after, last_id = decode_cursor(filters.cursor, (datetime, int))
        except BadCursor as exc:
            return Status(400, {"error": str(exc)})
        rows = rows.filter(
            Q(credential__updated_at__gt=after) | Q(credential__updated_at=after, pk__gt=last_id)
        )
    page = list(rows[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    items = [
        {
            "id": a.pk,
            "platform": a.platform,
            "user": a.upstream_user_id,
            "email": a.email,
            "person": a.person.email,
            "workspace": a.workspace_id,
            "state": a.credential.state,
            "situation": a.credential.situation or None,
            "audience": audience_key(a.credential.situation),
            "since": a.credential.state_changed_at,
            "updated_at": a.credential.updated_at,
            "last_checked_at": a.credential.last_checked_at,
            "last_used_at": a.credential.last_used_at,
        }
        for a in page
    ]
    last = page[-1] if page else None
    cursor = (
        encode_cursor([last.credential.updated_at.isoformat(), last.pk]) if more and last else None
    )
    return Status(200, {"items": items, "next": cursor})
