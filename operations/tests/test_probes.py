"""/healthz and /readyz through Django's test client (the gunicorn rig covers them on PostgreSQL
behind a real server, with the database cut)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

pytestmark = pytest.mark.django_db


def test_it_answers_probes_for_any_host_and_never_caches_them(client):
    response = client.get("/healthz", HTTP_HOST="10.9.8.7")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_it_is_ready_with_migrations_applied_and_the_scheduler_on_time(client):
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert set(response.json()["checks"].values()) == {"ok"}


def test_it_is_not_ready_when_no_cluster_has_scheduled_the_sweep(client):
    Schedule.objects.filter(name="mio-health-sweep").update(
        next_run=timezone.now() - timedelta(minutes=30)
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "fail",
        "checks": {"database": "ok", "broker": "ok", "migrations": "ok", "scheduler": "fail"},
    }


def test_it_leaves_other_methods_to_the_rest_of_the_site(client):
    assert client.post("/healthz").status_code == 404
