"""The credential admin writes only what the operator edited, never a token a worker rotated."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dashboard.models import AuditEntry
from dashboard.tests.adminforms import form_data
from platforms.base import TokenGrant, store_grant
from tests.factories import make_account, make_person, make_tenant
from tokens.admin import CredentialAdmin
from tokens.models import Credential

pytestmark = pytest.mark.django_db


@pytest.fixture
def credential() -> Credential:
    person = make_person(make_tenant(primary_platform="teams"))
    account = make_account(person, "teams", access_token="access-old", refresh_token="refresh-old")
    return account.credential


def url(credential: Credential) -> str:
    return reverse("admin:tokens_credential_change", args=[credential.pk])


def open_form(admin_client, credential: Credential) -> dict[str, list[str]]:
    page = admin_client.get(url(credential))
    assert page.status_code == 200
    return form_data(page.content.decode(), "credential_form")


def worker_rotates(pk: int) -> Credential:
    """What a health check does after a refresh: store the new grant at once, columns only."""
    fresh = Credential.objects.get(pk=pk)
    store_grant(
        fresh,
        TokenGrant(access_token="access-new", refresh_token="refresh-new", expires_in=7200),
    )
    return Credential.objects.get(pk=pk)


def test_it_keeps_what_a_worker_stored_while_the_form_was_open(admin_client, credential):
    data = open_form(admin_client, credential)
    rotated = worker_rotates(credential.pk)
    data["failure_count"] = ["7"]  # the operator's one edit

    response = admin_client.post(url(credential), data)

    assert response.status_code == 302
    saved = Credential.objects.get(pk=credential.pk)
    assert saved.failure_count == 7
    assert saved.refresh_token.reveal() == "refresh-new"
    assert saved.access_token.reveal() == "access-new"
    # The form still showed the old expiry and issue time: they are not written back.
    assert saved.expires_at == rotated.expires_at
    assert saved.refresh_token_issued_at == rotated.refresh_token_issued_at
    entry = AuditEntry.objects.get(action="admin.credential.change")
    assert entry.detail == {"fields": ["Failure count"]}
    assert entry.tenant_id == credential.tenant_id


def test_it_keeps_a_token_rotated_after_the_admin_read_the_row(
    admin_client, credential, monkeypatch
):
    data = open_form(admin_client, credential)
    read = CredentialAdmin.get_object

    def read_then_a_worker_rotates(self, request, object_id, from_field=None):
        obj = read(self, request, object_id, from_field)
        if request.method == "POST":
            worker_rotates(obj.pk)  # commits while this request holds the old tokens
        return obj

    monkeypatch.setattr(CredentialAdmin, "get_object", read_then_a_worker_rotates)
    data["state"] = ["disabled"]

    response = admin_client.post(url(credential), data)

    assert response.status_code == 302
    saved = Credential.objects.get(pk=credential.pk)
    assert saved.state == "disabled"
    assert saved.refresh_token.reveal() == "refresh-new"
    assert saved.access_token.reveal() == "access-new"


def test_it_writes_nothing_when_the_operator_changed_nothing(admin_client, credential):
    data = open_form(admin_client, credential)
    before = Credential.objects.get(pk=credential.pk)

    assert admin_client.post(url(credential), data).status_code == 302

    after = Credential.objects.get(pk=credential.pk)
    assert after.updated_at == before.updated_at
    assert not AuditEntry.objects.filter(action="admin.credential.change").exists()
