from __future__ import annotations

import os

import pytest

# Browser tests run Django's live server beside Playwright's event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip_pg = pytest.mark.skip(
        reason="needs PostgreSQL; runs in the PostgreSQL half of scripts/test"
    )
    for item in items:
        if "postgres_only" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
