"""django-q2 work of the accounts app: the daily purge of old re-sync links, and its schedule.

``mio-accounts-retention`` is created after every ``migrate`` by ``install_schedules``, once
(keyed by name), so an operator's change of its time survives.
"""

from __future__ import annotations

from typing import Any

SCHEDULES = {"mio-accounts-retention": "accounts.tasks.purge_old"}


def purge_old() -> dict[str, int]:
    from accounts.retention import purge

    return purge()


def install_schedules(using: str = "default", **kwargs: Any) -> None:
    """Create the schedule if it does not exist yet (a ``post_migrate`` receiver)."""
    from mio_heal.retention import install_daily

    install_daily(SCHEDULES, using=using)
