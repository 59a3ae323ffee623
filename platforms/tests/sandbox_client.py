"""A small client for the sandbox control API, over real HTTP (what outside checks use too)."""

from __future__ import annotations

from typing import Any

import requests


class SandboxClient:
    def __init__(self, site_url: str) -> None:
        self.base = f"{site_url}/sandbox/api"
        self.http = requests.Session()
        self.http.trust_env = False

    def _post(self, call: str, /, **body: Any) -> dict[str, Any]:
        # Positional-only: a body field may itself be called "name" (users: the person's name).
        response = self.http.post(f"{self.base}/{call}", json=body, timeout=30)
        assert response.status_code == 200, f"{call}: {response.status_code} {response.text}"
        return response.json()

    def reset(self) -> None:
        self._post("reset")

    def situation(self, platform: str, user: str, situation: str | None) -> None:
        self._post("situation", platform=platform, user=user, situation=situation)

    def script(
        self,
        platform: str,
        endpoint: str,
        *,
        status: int,
        body: Any,
        user: str | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        self._post(
            "script",
            platform=platform,
            endpoint=endpoint,
            user=user,
            status=status,
            headers=headers or {},
            body=body,
            times=times,
        )

    def faults(self, platform: str, error_rate: float = 0.0, latency_ms: int = 0) -> None:
        self._post("faults", platform=platform, error_rate=error_rate, latency_ms=latency_ms)

    def provision(
        self, platform: str, email: str, name: str = "", workspace_id: str = ""
    ) -> dict[str, Any]:
        return self._post(
            "users", platform=platform, email=email, name=name, workspace_id=workspace_id
        )

    def event(
        self, platform: str, event: str, user: str, target: str | None = None
    ) -> dict[str, Any]:
        return self._post("event", platform=platform, event=event, user=user, target=target)

    def inbox(self, platform: str | None = None, user: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in {"platform": platform, "user": user}.items() if v}
        response = self.http.get(f"{self.base}/inbox", params=params, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()
