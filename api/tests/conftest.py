"""Helpers for the relay API's tests: real HTTP to the live server, as a relay would call it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from tokens.tests.conftest import enroll  # noqa: F401  (the sandbox-minted account fixture)


class Relay:
    """A relay's HTTP client for one key."""

    def __init__(self, base: str, key: str | None) -> None:
        self.base = f"{base}/api/v1"
        self.http = requests.Session()
        self.http.trust_env = False
        if key:
            self.http.headers["Authorization"] = f"Bearer {key}"

    def token(self, platform: str, user: str) -> requests.Response:
        return self.http.post(
            f"{self.base}/tokens/", json={"platform": platform, "user": user}, timeout=30
        )

    def get(self, resource: str, **params: Any) -> requests.Response:
        return self.http.get(f"{self.base}/{resource}/", params=params, timeout=30)

    def events(self, *events: dict[str, Any]) -> requests.Response:
        return self.http.post(
            f"{self.base}/relay-events/", json={"events": list(events)}, timeout=30
        )


@pytest.fixture
def relay(live_server) -> Callable[[str | None], Relay]:
    return lambda key: Relay(live_server.url, key)
