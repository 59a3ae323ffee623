"""The channels an outbox row can go out on, in order, and one send on one of them.

A send ends in one of four ways, which ``notifications.delivery`` treats differently:
a provider message id (sent); ``Transient`` (clearly not delivered, try this channel again
later); ``Unusable`` (this channel cannot carry it: the next one); ``MaybeSent`` (the request
left and the answer was lost or a server error: it may have arrived, so it is not resent
blindly — see ``notifications.ambiguity``).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from notifications.ambiguity import ambiguous, email_refused
from notifications.models import OutboxMessage
from platforms.errors import PlatformError
from platforms.markup import plain, plain_fallback
from platforms.messages import Message
from platforms.registry import get_adapter
from policies import rules
from tokens.models import CredentialState, Installation, PlatformAccount

log = logging.getLogger(__name__)
Row = OutboxMessage

EMAIL = Row.EMAIL

BROKEN_BOT_STATES = {
    CredentialState.WAITING_ADMIN,
    CredentialState.WAITING_USER,
    CredentialState.WAITING_OPERATOR,
    CredentialState.DISABLED,
}


class Transient(Exception):
    """Nothing was delivered; try this channel again later."""


class Unusable(Exception):
    """This channel cannot carry the message: move on to the next one."""


class MaybeSent(Exception):
    """The request left and no clear answer came back: it may have been delivered."""


def candidates(row: OutboxMessage) -> list[str]:
    """Channels in order: the row's own, then the person's preferred platform, their other
    platforms, and email where the tenant's policy puts it (last by default). Channels that
    already failed for good are skipped."""
    if row.recipient is None:
        return [EMAIL]
    person = row.recipient
    platforms = sorted(
        PlatformAccount.objects.filter(person=person).values_list("platform", flat=True)
    )
    chat = [c for c in (row.channel, person.preferred_platform, *platforms) if c and c != EMAIL]
    # Where email goes (last, first, or nowhere) is the tenant's policy.
    order = rules.order_channels(row.tenant, chat)
    if row.channel == EMAIL:
        order = [EMAIL, *order]
    tried = set(row.tried_channels or [])
    seen: list[str] = []
    for channel in order:
        if not channel or channel in seen or (channel in tried and channel != row.channel):
            continue
        if channel != EMAIL and channel not in platforms:
            continue
        seen.append(channel)
    return seen


def send_on(channel: str, row: OutboxMessage, message: Message) -> str:
    if channel == EMAIL:
        return send_email(row, message)
    assert row.recipient is not None
    installation = (
        Installation.objects.select_related("credential")
        .filter(tenant_id=row.recipient.tenant_id, platform=channel, is_active=True)
        .first()
    )
    if installation is None:
        raise Unusable("Mio is not installed there")
    if installation.credential and installation.credential.state in BROKEN_BOT_STATES:
        raise Unusable(f"the bot's credential is {installation.credential.state}")
    account = PlatformAccount.objects.filter(person=row.recipient, platform=channel).first()
    if account is None:
        raise Unusable("the person has no account there")
    try:
        result = get_adapter(channel).send(installation, account, message)
    except PlatformError as exc:
        if ambiguous(exc):
            raise MaybeSent(f"{exc} ({exc.evidence.description or exc.evidence.error})") from exc
        if exc.transient:
            raise Transient(f"{exc} ({exc.evidence.description or exc.evidence.error})") from exc
        raise Unusable(f"{exc} ({exc.evidence.error or exc.evidence.http_status})") from exc
    except Exception as exc:  # an adapter bug must not stop the fallback to other channels
        log.exception("sending outbox row %s on %s failed", row.pk, channel)
        raise Unusable(repr(exc)) from exc
    learnt: dict[str, str] = {}
    if result.conversation_id and result.conversation_id != account.conversation_id:
        learnt["conversation_id"] = result.conversation_id
    if result.chat_address and result.chat_address != account.chat_address:
        learnt["chat_address"] = result.chat_address
    if learnt:
        PlatformAccount.objects.filter(pk=account.pk).update(**learnt)
    return result.message_id or ""


def send_email(row: OutboxMessage, message: Message) -> str:
    if row.recipient is not None:
        to = [row.recipient.email]
    elif row.recipient_email:
        to = [row.recipient_email]
    else:
        to = [email for _, email in settings.ADMINS]
    if not to:
        # No operator address configured: the log is the operator's channel.
        log.error("operator alert (no ADMINS set): %s\n%s", message.title, plain_fallback(message))
        return "log"
    # The connection is opened first and on its own: what fails while connecting (refused,
    # DNS, TLS, login) sent nothing, while a timeout or a hang-up once the message is on its
    # way may come after the server took it. Every socket call is bounded by EMAIL_TIMEOUT.
    connection = get_connection()
    try:
        connection.open()
    except OSError as exc:
        raise Transient(f"email: {exc!r}") from exc
    try:
        EmailMessage(
            # A name or an evidence value is shown as text: no header injection (one line),
            # no bare link a mail reader would make clickable (platforms/markup.py).
            subject=plain(message.title, 200, single_line=True),
            body=plain_fallback(message),
            to=to,
            headers={"X-Mio-Idempotency-Key": row.idempotency_key},
            connection=connection,
        ).send()
    except OSError as exc:  # smtplib's errors are OSErrors
        if email_refused(exc):
            raise Transient(f"email refused: {exc!r}") from exc
        raise MaybeSent(f"email: {exc!r}") from exc
    finally:
        try:
            connection.close()
        except OSError:  # the message's fate is decided; a failing QUIT changes nothing
            log.warning("outbox row %s: closing the mail connection failed", row.pk)
    return f"email:{row.idempotency_key}"
