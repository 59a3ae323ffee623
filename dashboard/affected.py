"""How many accounts an incident touched: all of them, whether still failing or recovered.

``Incident.affected_count`` counts the accounts *still* failing (the health engine lowers it as
each one recovers), so a resolved incident holds 0. Pages that say how big an incident was need
the whole list's size: one grouped query for a page of incidents.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count

from notifications.models import AffectedAccount, Incident


def annotate_totals(incidents: Iterable[Incident]) -> None:
    """Set ``affected_total`` on each incident (1 for an account-level one)."""
    incidents = list(incidents)
    wide = [i.pk for i in incidents if i.tenant_wide]
    totals = {}
    if wide:
        totals = dict(
            AffectedAccount.objects.filter(incident_id__in=wide)
            .values_list("incident_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
    for incident in incidents:
        if incident.tenant_wide:
            incident.affected_total = max(totals.get(incident.pk, 0), incident.affected_count)
        else:
            incident.affected_total = 1
