"""Admin helpers for big tables: bounded counts and masked secrets."""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator


class CappedCountPaginator(Paginator):
    """Counts at most ``CAP`` rows, so a changelist over millions of rows stays cheap.

    ``SELECT COUNT(*) FROM (… LIMIT CAP+1)`` does bounded work on every database; past the cap
    the admin shows the first CAP rows' pages and the filters narrow the rest.
    """

    CAP = 10_000

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        return self.object_list.values("pk")[: self.CAP + 1].count()


def mask(value: object) -> str:
    return "•••••• (encrypted)" if value else "—"
