"""Page through a queryset without counting it: fetch one row more than shown.

A COUNT(*) over a big table costs as much as the table is big; "Next" only needs to know that
one more row exists, so every list page does the same small amount of work at any size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

PER_PAGE = 50
MAX_PAGE = 10_000  # deep offsets grow costly; filters narrow instead


@dataclass
class Page:
    items: list[Any]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1


def page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_PAGE else 1


def paginate(queryset: QuerySet, request: HttpRequest, per_page: int = PER_PAGE) -> Page:
    number = page_number(request)
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    return Page(rows[:per_page], number, len(rows) > per_page)


def query_without_page(request: HttpRequest) -> str:
    """The current filters as a query string, for the pager's links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
