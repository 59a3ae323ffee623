"""Push and on-use detection: the one door through which platforms' events reach the engine.

Platform webhook views (``platforms/<kind>/webhooks.py``) verify and parse their platform's
events, then call ``report_platform_event``. The relay reports failed sends through
``report_relay_failure``. Both only mark accounts and queue work; they answer fast.
"""

from __future__ import annotations

from collections.abc import Sequence


def report_platform_event(
    platform: str,
    event: str,
    *,
    workspace_id: str = "",
    upstream_user_ids: Sequence[str] = (),
    event_id: str = "",
    situation_hint: str | None = None,
) -> int:
    """A platform pushed ``event`` about these users (every account of the workspace when
    ``upstream_user_ids`` is empty). Marks the matching accounts due now and queues their check.
    Returns how many accounts were marked; a repeated ``event_id`` is ignored (returns 0).
    """
    raise NotImplementedError("built by the health engine (issue 4)")
