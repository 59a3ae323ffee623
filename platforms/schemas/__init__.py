"""The official Adaptive Card JSON schemas (copied unchanged; see README.md for their source).

Kept in the repository so that the card tests run on any clone, with or without ``shared/``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


@cache
def adaptive_card_schema(version: str) -> dict[str, Any]:
    """The schema of Adaptive Cards ``version`` ("1.3" for Webex, "1.5" for Teams)."""
    return json.loads((HERE / f"adaptive-card-{version}.json").read_text(encoding="utf-8"))


@cache
def app_manifest_schema(platform: str) -> dict[str, Any]:
    """The app manifest schema of ``platform``: "slack" (SchemaStore) or "teams" (v1.29)."""
    name = {"slack": "slack-app-manifest.json", "teams": "teams-app-manifest-1.29.json"}[platform]
    return json.loads((HERE / name).read_text(encoding="utf-8"))
