"""Signed, expiring, single-use re-sync links.

The URL carries ``Signer(salt).sign_object({"l": <link id>, "n": <nonce>})``. The signature needs
SECRET_KEY, so a link cannot be forged or guessed; the row holds nothing secret; and the same row
always gives the same URL, so a prompt and its reminders can render it whenever they are sent.
Expiry and single use are the row's ``expires_at`` and ``used_at`` (a conditional UPDATE takes
it, so two tabs cannot both use one link).
"""

from __future__ import annotations

import enum
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from accounts.models import Person, ResyncLink
from tokens.models import PlatformAccount

SALT = "mio.accounts.resync-link"


class Problem(enum.Enum):
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"


def max_age() -> timedelta:
    return timedelta(days=settings.RESYNC_LINK_MAX_AGE_DAYS)


def create_link(person: Person, account: PlatformAccount, incident: object = None) -> ResyncLink:
    return ResyncLink.objects.create(
        person=person,
        account=account,
        incident=incident,
        nonce=secrets.token_urlsafe(12),
        expires_at=timezone.now() + max_age(),
    )


def link_for(person: Person, account: PlatformAccount, incident: object) -> ResyncLink:
    """The person's current link for this incident, or a new one when none is usable for long.

    Reminders reuse the prompt's link while it has at least a day left, so every button the
    person sees for one problem opens the same page.
    """
    now = timezone.now()
    current = (
        ResyncLink.objects.filter(
            person=person,
            account=account,
            incident=incident,
            used_at__isnull=True,
            expires_at__gt=now + timedelta(days=1),
        )
        .order_by("-created_at")
        .first()
    )
    return current or create_link(person, account, incident)


def token_for(link: ResyncLink) -> str:
    return signing.Signer(salt=SALT).sign_object({"l": link.pk, "n": link.nonce})


def url_for(link: ResyncLink) -> str:
    return f"{settings.SITE_URL}{reverse('resync:landing', args=[token_for(link)])}"


def read(token: str) -> tuple[ResyncLink | None, Problem | None]:
    """The link a token names and what is wrong with it, if anything.

    A link whose signature checks but that is expired or used is still returned: its page
    offers a fresh link for the same person and account.
    """
    try:
        data = signing.Signer(salt=SALT).unsign_object(token)
        link_id, nonce = int(data["l"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None, Problem.INVALID
    link = (
        ResyncLink.objects.select_related("person__tenant", "account", "incident")
        .filter(pk=link_id, nonce=nonce)
        .first()
    )
    if link is None:
        return None, Problem.INVALID
    if link.used_at is not None:
        return link, Problem.USED
    if link.expires_at <= timezone.now():
        return link, Problem.EXPIRED
    return link, None


def use(link: ResyncLink) -> bool:
    """Take the link: True for exactly one caller, only while it is unused and unexpired."""
    now = timezone.now()
    return (
        ResyncLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=now).update(
            used_at=now
        )
        == 1
    )
