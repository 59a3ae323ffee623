"""Fixtures shared by every app's tests."""

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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Platform contract tests: one case per situation / raw body the platform declares."""
    cls = metafunc.cls
    if cls is None or not hasattr(cls, "platform"):
        return
    if "situation" in metafunc.fixturenames:
        from platforms.sandbox.registry import get_fake

        keys = sorted(get_fake(cls.platform).situations)
        metafunc.parametrize("situation", keys, ids=keys)
    if "wire" in metafunc.fixturenames:
        from platforms.tests import corpus

        # The app-credential checks' exchanges have their own reader and parity test
        # (platforms/tests/test_appcheck.py); the contract reads the person-token ones.
        wires = [w for w in corpus.load(cls.platform) if not w.is_appcheck]
        metafunc.parametrize("wire", wires, ids=[w.id for w in wires])
    if "scripted_case" in metafunc.fixturenames:
        cases = list(cls.scripted_cases)
        metafunc.parametrize("scripted_case", cases, ids=[c.id for c in cases])


@pytest.fixture
def sandbox(live_server, settings, transactional_db):
    """The project served over real HTTP with the platform sandbox under /sandbox/."""
    from platforms.tests.sandbox_client import SandboxClient

    settings.SITE_URL = live_server.url
    settings.SANDBOX_URL = f"{live_server.url}/sandbox"
    client = SandboxClient(live_server.url)
    client.reset()
    return client
