"""Settings for the reliability rigs: the real settings, plus the knobs a rig must turn.

A rig's processes (the sandbox server, ``qcluster`` workers) run with
``DJANGO_SETTINGS_MODULE=reliability.settings``. Each knob is read from a ``RELIABILITY_*``
environment variable and keeps production's value when the variable is absent, so this module
changes nothing by itself (the way docs/operations.md says to change settings that have no
environment variable of their own).
"""

from __future__ import annotations

import os
from datetime import timedelta

from mio_heal.settings import *  # noqa: F403
from mio_heal.settings import Q_CLUSTER


def _number(name: str) -> float | None:
    value = os.environ.get(name, "").strip()
    return float(value) if value else None


# A claim lapses after this long (a killed worker's credentials are checked again after it).
if (_ttl := _number("RELIABILITY_CLAIM_TTL")) is not None:
    HEALTH_CLAIM_TTL = timedelta(seconds=_ttl)
# Transient faults are retried after this (doubling, up to the cap).
if (_base := _number("RELIABILITY_BACKOFF_BASE")) is not None:
    HEALTH_BACKOFF_BASE = timedelta(seconds=_base)
if (_cap := _number("RELIABILITY_BACKOFF_CAP")) is not None:
    HEALTH_BACKOFF_CAP = timedelta(seconds=_cap)
# The sandbox's "slow answer" fault sleeps this long (longer than PLATFORM_HTTP_TIMEOUT).
if (_slow := _number("RELIABILITY_FAULT_SLOW_SECONDS")) is not None:
    SANDBOX_FAULT_SLOW_SECONDS = _slow
# A send that may have arrived is looked up again after this long.
if (_verify := _number("RELIABILITY_VERIFY_AFTER")) is not None:
    NOTIFY_VERIFY_AFTER_SECONDS = _verify
# Parallel checks per platform within one sweep.
if (_threads := _number("RELIABILITY_CONCURRENCY")) is not None:
    HEALTH_CONCURRENCY = {p: int(_threads) for p in ("slack", "teams", "zoom", "webex")}
# How many due credentials one claim takes.
if (_batch := _number("RELIABILITY_CLAIM_BATCH")) is not None:
    HEALTH_CLAIM_BATCH = int(_batch)
# A rig's own queue, so two rigs (or a rig and the demo) never share a broker list. Only the
# cluster name changes: the name (django-q's signing salt) stays, so any process may enqueue.
if _name := os.environ.get("RELIABILITY_Q_NAME", "").strip():
    Q_CLUSTER = {**Q_CLUSTER, "cluster_name": _name}
