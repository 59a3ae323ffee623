"""The explicit registry of fake platforms."""

from __future__ import annotations

import functools
from importlib import import_module

from platforms.sandbox.fakes.base import FakePlatform

FAKES: dict[str, str] = {
    "slack": "platforms.sandbox.fakes.slack:SlackFake",
    "teams": "platforms.sandbox.fakes.teams:TeamsFake",
    "zoom": "platforms.sandbox.fakes.zoom:ZoomFake",
    "webex": "platforms.sandbox.fakes.webex:WebexFake",
}


@functools.cache
def get_fake(key: str) -> FakePlatform:
    module, name = FAKES[key].split(":")
    return getattr(import_module(module), name)()


def available() -> dict[str, FakePlatform]:
    """The fakes whose modules exist (all four once the platforms are built)."""
    found = {}
    for key in FAKES:
        try:
            found[key] = get_fake(key)
        except (ModuleNotFoundError, AttributeError):
            # Not built yet (a package directory without its fake class counts as missing).
            continue
    return found
