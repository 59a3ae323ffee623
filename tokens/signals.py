"""The one hook through which the health engine announces what it found.

``credential_checked`` is sent once for every recorded check of a credential — by the scheduled
sweep, a platform event, a relay failure report, "Verify now", ``check_tokens`` or a re-sync —
**inside the database transaction that records the check**. A receiver that writes rows (an
incident, outbox messages) therefore commits or rolls back together with the check: a check is
never recorded without its consequences, nor the other way round. ``tokens`` itself never sends
messages; the notifications layer connects here and decides who to tell.

Arguments (all keyword):

``sender``
    ``tokens.models.Credential`` (the class).
``credential``
    The ``Credential`` after the check: ``state``, ``situation`` (``""`` when healthy),
    ``last_evidence``, ``failure_count``, ``next_check_at`` are already the new values.
    ``credential.account`` is loaded for user credentials (its ``person`` and ``tenant`` too).
``previous_state``
    ``CredentialState`` value (a ``str``) before this check.
``previous_situation``
    Situation key before this check, ``""`` when there was none.
``outcome``
    The adapter's ``platforms.base.CheckOutcome``: ``situation`` (``Situation`` or ``None`` when
    healthy), ``evidence`` (``platforms.errors.Evidence`` or ``None``), ``refreshed``,
    ``identity``, ``latency_ms``. For relay reports it is built from the classified relay error.
``check``
    The ``CheckRecord`` just inserted (``outcome``: ok / healed / transient / problem,
    ``situation``, ``evidence`` dict, ``latency_ms``, ``source``, ``state_after``).
``source``
    ``CheckRecord.Source`` value: ``schedule``, ``event``, ``relay``, ``manual``, ``resync``.
``changed``
    ``True`` when ``state`` or ``situation`` differ from before. Most checks find a healthy
    account still healthy (``changed`` is ``False``); receivers should return at once then,
    without a query, to keep the sweep within its budget of queries per account.

A receiver that raises rolls the check back (the credential's claim then lapses and it is
checked again), so receivers must only raise for real, retryable failures.
"""

from __future__ import annotations

from django.dispatch import Signal

credential_checked = Signal()
