"""Fixtures of the reliability tests: the environment of a real worker on the test database."""

from __future__ import annotations

import os
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection


def database_url() -> str:
    """The URL of the database the tests run on, for a subprocess to use the same one."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_base_env(sandbox) -> dict[str, str]:
    """What a worker process needs to share this test's database, sandbox and secrets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DATABASE_URL=database_url(),
        CONN_MAX_AGE="0",
        SITE_URL=settings.SITE_URL,
        SANDBOX_URL=settings.SANDBOX_URL,
        SANDBOX_ENABLED="1",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
    )
    return env
