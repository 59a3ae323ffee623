"""Notifications ask the policy: who receives admin prompts, and where email sits among the
channels a prompt tries."""

from __future__ import annotations

import pytest

from accounts.models import Tenant
from notifications.channels import candidates
from notifications.models import OutboxMessage
from notifications.outbox import admins_of
from policies.models import Policy
from tests.factories import make_account, make_person, make_tenant

pytestmark = pytest.mark.django_db


def test_it_sends_admin_prompts_to_the_people_the_policy_names():
    tenant = make_tenant()
    first = make_person(tenant, is_tenant_admin=True)
    second = make_person(tenant, is_tenant_admin=True)
    assert admins_of(tenant) == [first, second]  # no policy: every tenant admin
    policy = Policy.objects.create(tenant=tenant)
    policy.admin_recipients.set([second])
    assert admins_of(Tenant.objects.get(pk=tenant.pk)) == [second]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("", ["slack", "zoom", "email"]),
        ("chat_then_email", ["slack", "zoom", "email"]),
        ("email_then_chat", ["email", "slack", "zoom"]),
        ("chat_only", ["slack", "zoom"]),
    ],
)
def test_it_tries_the_channels_in_the_policys_order(order, expected):
    tenant = make_tenant(primary_platform="slack")
    person = make_person(tenant)
    make_account(person, "slack")
    make_account(person, "zoom")
    if order:
        Policy.objects.create(tenant=tenant, channel_order=order)
    row = OutboxMessage.objects.create(
        tenant=tenant,
        recipient=person,
        audience="user",
        kind=OutboxMessage.Kind.PROMPT,
        template=OutboxMessage.Template.USER_PROMPT,
        channel="slack",
        idempotency_key=f"policy-{order}",
    )
    assert (
        candidates(OutboxMessage.objects.select_related("tenant", "recipient").get(pk=row.pk))
        == expected
    )
