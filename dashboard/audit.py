"""The dashboard records through the audit app (``audit.records``); named here too for the code
that has always imported ``record``, ``AuditedAdmin`` and ``ADMIN_ACTIONS`` from the dashboard."""

from __future__ import annotations

from audit.records import ADMIN_ACTIONS, AuditedAdmin, record  # noqa: F401 - re-exported
