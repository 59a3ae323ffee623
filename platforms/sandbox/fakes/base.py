"""What a fake platform offers the sandbox's control API."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from django.urls import URLPattern, URLResolver

from platforms.sandbox.models import SandboxMessage, SandboxUser


class FakePlatform(ABC):
    key: ClassVar[str]
    # DESIGN.md situation keys this platform can really produce.
    situations: ClassVar[frozenset[str]]
    # Names accepted by the control API's ``script`` call, with what each one is.
    endpoints: ClassVar[dict[str, str]]
    # Push events the control API's ``event`` call can emit (name -> what it is).
    events: ClassVar[dict[str, str]] = {}

    @abstractmethod
    def urlpatterns(self) -> list[URLPattern | URLResolver]:
        """The fake's endpoints, at their real paths, mounted under /sandbox/<key>/."""

    @abstractmethod
    def provision(
        self, email: str, name: str = "", workspace_id: str = ""
    ) -> tuple[SandboxUser, dict[str, Any]]:
        """Create (or find) the user and mint a valid grant, as a finished OAuth flow would.

        The grant dict has ``access_token``, ``refresh_token``, ``expires_in``, ``scopes``,
        ``upstream_user_id``, ``workspace_id``.
        """

    @abstractmethod
    def provision_bot(self, workspace_id: str) -> dict[str, Any]:
        """What an Installation needs: ``bot_token`` (if the platform has one), ``bot_user_id``,
        ``service_url`` (Teams)."""

    def emit(self, event: str, user: SandboxUser, target_base: str) -> dict[str, Any]:
        """Send ``event`` about ``user`` to the project, signed as the platform signs it."""
        raise ValueError(f"{self.key} pushes no events")

    def inbox_context(self, message: SandboxMessage) -> dict[str, Any]:
        """What the inbox template needs to draw one delivered message."""
        return {"payload": message.payload}
