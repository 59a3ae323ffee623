"""The dashboard records through the audit app (``audit.records``); named here too for the code
that has always imported ``record`` and ``AuditedAdmin`` from the dashboard."""

from __future__ import annotations

from audit.records import (  # noqa: F401 - re-exported
    ACTION_MAX,
    ADMIN_ACTIONS,
    AUDIT_MAX_OBJECTS,
    AuditedAdmin,
    client_ip,
    record,
    record_many,
)
