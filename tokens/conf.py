"""The health engine's knobs, each with a default that suits a production deployment.

Every value can be overridden in Django settings (``HEALTH_CHECK_INTERVAL = timedelta(hours=2)``)
and read through these functions at call time, so tests may change them with pytest-django's
``settings`` fixture.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # How often a healthy account is probed. Jitter spreads a seeded batch over time so the
    # sweep does not hit a platform with every account at the same minute.
    "HEALTH_CHECK_INTERVAL": timedelta(hours=6),
    "HEALTH_CHECK_JITTER": 0.1,  # ± fraction of the interval
    # An account waiting on a person is still probed (so a fix made elsewhere is noticed) but
    # less often: nothing a machine can do would change the answer.
    "HEALTH_WAITING_INTERVAL": timedelta(hours=12),
    # Transient faults: exponential backoff with full jitter, from base up to the cap.
    "HEALTH_BACKOFF_BASE": timedelta(seconds=30),
    "HEALTH_BACKOFF_CAP": timedelta(hours=1),
    # Refresh ahead once this fraction of the platform's refresh-token idle limit has passed.
    "HEALTH_PROACTIVE_FRACTION": 0.8,
    # ... and when an absolutely-expiring refresh token is this close to its end.
    "HEALTH_PROACTIVE_MARGIN": timedelta(days=7),
    # A claim lapses after this long, so the credentials of a worker that died are checked again.
    "HEALTH_CLAIM_TTL": timedelta(minutes=5),
    # Routine results (healthy, still healthy) a checking thread records in one transaction.
    "HEALTH_RECORD_BATCH": 50,
    # How many due credentials one claim takes.
    "HEALTH_CLAIM_BATCH": 200,
    # Parallel checks per platform within one worker (a bounded thread pool each). At most
    # PLATFORM_HTTP_POOL_SIZE (32), so every thread keeps its connection alive.
    "HEALTH_CONCURRENCY": {"slack": 16, "teams": 16, "zoom": 16, "webex": 16},
    # Calls per second per (platform, workspace) within one worker; 0 = no limit. The platforms'
    # own limits are per app and workspace/tenant (Slack tiers, Graph per tenant, Zoom per
    # account), so this is what keeps a sweep of one large tenant under them.
    "HEALTH_RATE_LIMIT": {"slack": 50.0, "teams": 50.0, "zoom": 20.0, "webex": 50.0},
    # A scheduled sweep stops claiming after this long (below django-q2's task timeout); the
    # next run picks up the rest.
    "HEALTH_SWEEP_BUDGET": timedelta(minutes=4),
    # History kept, and platform event ids remembered for de-duplication.
    "HEALTH_CHECK_RETENTION_DAYS": 90,
    "HEALTH_EVENT_RETENTION_DAYS": 7,
    "HEALTH_RETENTION_BATCH": 5000,
    # Accounts per queued task when an event hits a whole workspace.
    "HEALTH_EVENT_TASK_CHUNK": 200,
}


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])


def per_platform(name: str, platform: str) -> Any:
    value = get(name)
    if isinstance(value, dict):
        return value.get(platform, DEFAULTS[name].get(platform))
    return value
