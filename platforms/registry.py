"""The explicit registry of platform adapters: no discovery by import side effects."""

from __future__ import annotations

import functools
from importlib import import_module

from platforms.base import PlatformAdapter

# key -> "module:Class". Adding a platform is one line here plus its package.
ADAPTERS: dict[str, str] = {
    "slack": "platforms.slack.adapter:SlackAdapter",
    "teams": "platforms.teams.adapter:TeamsAdapter",
    "zoom": "platforms.zoom.adapter:ZoomAdapter",
    "webex": "platforms.webex.adapter:WebexAdapter",
}


@functools.cache
def adapter_class(key: str) -> type[PlatformAdapter]:
    try:
        module, name = ADAPTERS[key].split(":")
    except KeyError:
        raise KeyError(f"unknown platform {key!r}; known: {', '.join(ADAPTERS)}") from None
    return getattr(import_module(module), name)


def get_adapter(key: str) -> PlatformAdapter:
    return adapter_class(key)()
