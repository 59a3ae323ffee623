"""``GET /api/v1/incidents/``: the key's tenant's incidents, open or resolved, in pages."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from api.keys import KeyAuth
from api.schemas import AUTH_ERRORS, BadCursor, Error, PlatformKey, decode_cursor, encode_cursor
from notifications.models import Incident

router = Router(tags=["incidents"], auth=KeyAuth("read"))


class IncidentFilters(Schema):
    status: Literal["open", "resolved"] | None = None
    platform: PlatformKey | None = None
    cursor: str | None = Field(None, max_length=200, description="`next` of the previous page.")
    limit: int = Field(100, ge=1, le=500)


class IncidentOut(Schema):
    id: int
    platform: PlatformKey
    situation: str
    audience: str
    status: Literal["open", "resolved"]
    tenant_wide: bool
    account: int | None = Field(description="The account's id; null for a tenant-wide one.")
    affected_accounts: list[int]
    opened_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    resolution: str | None


class IncidentPage(Schema):
    items: list[IncidentOut]
    next: str | None


@router.get("/", response={200: IncidentPage, 400: Error, **AUTH_ERRORS}, summary="List incidents")
def list_incidents(request: HttpRequest, filters: Query[IncidentFilters]):
    tenant = request.relay_key.tenant  # type: ignore[attr-defined]
    rows = Incident.objects.filter(tenant=tenant).prefetch_related("affected").order_by("pk")
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.platform:
        rows = rows.filter(platform=filters.platform)
    if filters.cursor:
        try:
            (after,) = decode_cursor(filters.cursor, (int,))
        except BadCursor as exc:
            return Status(400, {"error": str(exc)})
        rows = rows.filter(pk__gt=after)
    page = list(rows[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    items = [
        {
            "id": i.pk,
            "platform": i.platform,
            "situation": i.situation,
            "audience": i.audience,
            "status": i.status,
            "tenant_wide": i.tenant_wide,
            "account": i.account_id,
            "affected_accounts": sorted(a.account_id for a in i.affected.all() if a.account_id),
            "opened_at": i.opened_at,
            "last_seen_at": i.last_seen_at,
            "resolved_at": i.resolved_at,
            "resolution": i.resolution or None,
        }
        for i in page
    ]
    return Status(200, {"items": items, "next": encode_cursor([page[-1].pk]) if more else None})
