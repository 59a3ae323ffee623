"""The Slack adapter: ``auth.test`` probes, rotating refresh tokens, Block Kit DMs as the bot.

Slack (with token rotation on) issues user access tokens ``xoxe.xoxp-1-…`` that last 12 hours and
single-use refresh tokens ``xoxe-1-…``: redeeming one revokes it, so the new one is stored the
moment it arrives (the base class's ``refresh`` does that under the credential's lock). Refresh
tokens do not expire from disuse, so there is no idle limit to refresh ahead of.

The bot token rotates the same way once the app is installed with rotation on (``xoxe.xoxb-1-…``,
12 hours, with its own refresh token): ``send`` and ``find_sent`` refresh it on use when it is
within ``EXPIRY_MARGIN`` of expiry (``_bot_token``), through the same locked ``refresh``, so
concurrent sends redeem the single-use refresh token once. A bot token from an install without
rotation has neither expiry nor refresh token and is used as it is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils import timezone

from platforms.base import Identity, OAuthStart, PlatformAdapter, SendResult, TokenGrant
from platforms.errors import ErrorTable, Evidence, PlatformError
from platforms.grants import UnreadableGrant
from platforms.messages import Message
from platforms.slack import oauth
from platforms.slack.blocks import idempotency_key_of, render_payload
from platforms.slack.client import PLATFORM, call, classify, web_client
from platforms.slack.errors import BOT_GONE_CODES, SLACK_ERRORS
from tokens.locking import LockBusy
from tokens.models import Credential
from tokens.secret import reveal
from tokens.situations import Situation

# Codes that say "this grant is gone" without saying whether the user or the app went away.
REVOKED_CODES = frozenset({"token_revoked", "invalid_refresh_token"})
# Looking a sent message up (``find_sent``): how far back when the caller names no start, and
# how much of the DM is read at most. Newest first, so a recent send is on the first page.
# (Slack holds apps distributed outside its Marketplace to 15 messages a page and one call a
# minute: a DM with more than 15 messages since the send then answers "ask again later".)
LOOKUP_WINDOW = timedelta(hours=24)
HISTORY_PAGE_SIZE = 200
HISTORY_PAGES = 3

if TYPE_CHECKING:
    from tokens.models import Installation, PlatformAccount


class SlackAdapter(PlatformAdapter):
    key: ClassVar[str] = PLATFORM
    label: ClassVar[str] = "Slack"
    errors: ClassVar[ErrorTable] = SLACK_ERRORS
    refresh_idle_limit = None
    rotating_refresh_tokens = True
    refresh_on_every_check = False

    # --- tokens ---------------------------------------------------------------------------------
    def redeem_refresh_token(self, credential: Credential, refresh_token: str) -> TokenGrant:
        app = oauth.app()
        client = web_client()
        try:
            response = call(
                "token",
                lambda: client.oauth_v2_access(
                    client_id=app["client_id"],
                    client_secret=app["client_secret"],
                    grant_type="refresh_token",
                    refresh_token=refresh_token,
                ),
            )
        except PlatformError as err:
            if err.evidence.error in REVOKED_CODES:
                if credential.kind == Credential.Kind.BOT:
                    # The bot's own grant is refused: the app left the workspace (or its
                    # install was revoked); an admin installs it again.
                    raise PlatformError(Situation.APP_UNINSTALLED, err.evidence) from None
                raise self._revoked_why(credential, err) from None
            if err.evidence.error == "non_json_answer" and err.evidence.http_status == 200:
                # Slack may have redeemed (and so revoked) the refresh token before the answer
                # was cut off or mangled on its way: the engine keeps what it still holds
                # (tokens.redemption), or holds the credential for the operator.
                raise UnreadableGrant(
                    PLATFORM, getattr(client, "last_body", ""), status=200, why="not JSON"
                ) from None
            raise
        return oauth.grant_from_refresh(response)

    def probe(self, credential: Credential, access_token: str) -> Identity:
        try:
            response = call("probe", lambda: web_client(access_token).auth_test())
        except PlatformError as err:
            if err.evidence.error in REVOKED_CODES:
                raise self._revoked_why(credential, err) from None
            raise
        return Identity(
            upstream_user_id=str(response.get("user_id") or ""),
            workspace_id=str(response.get("team_id") or ""),
        )

    def _revoked_why(self, credential: Credential, err: PlatformError) -> PlatformError:
        """A revoked user token (or refresh token) means the user revoked Mio, the app left the
        workspace, *or* the user was deactivated: Slack answers all three with one code (a
        deactivated user's refresh reads ``invalid_refresh_token``). The bot token tells them
        apart: if it is refused too, the app is gone (an admin reinstalls it); if ``users.info``
        shows the user deactivated, an admin must act (``user_deleted``); otherwise the user's
        own grant is gone (they sign in again).
        """
        installation = _installation(credential.tenant_id)
        try:
            # Refreshed first if it rotates and is due, so an expired bot token says nothing.
            bot_token = self._bot_token(installation, "probe")
            call("probe", lambda: web_client(bot_token).auth_test())
        except PlatformError as bot_err:
            if bot_err.evidence.error == "no_bot_token":
                return err
            if bot_err.transient:
                return bot_err  # cannot tell yet; the engine retries with backoff
            if (
                bot_err.situation == Situation.APP_UNINSTALLED  # its refresh token refused
                or bot_err.evidence.error in BOT_GONE_CODES
            ):
                return _explained(
                    Situation.APP_UNINSTALLED,
                    err,
                    f"The Mio bot token is refused too ({bot_err.evidence.error}): "
                    "the app was removed from the workspace.",
                )
            return err
        return self._user_gone(credential, bot_token, err)

    def _user_gone(
        self, credential: Credential, bot_token: str, err: PlatformError
    ) -> PlatformError:
        """``users.info`` (bot token, ``users:read``) on the account's user: a deactivated member
        reads ``deleted: true`` (https://docs.slack.dev/reference/methods/users.info; the user
        object's ``deleted`` field, https://docs.slack.dev/reference/objects/user-object).
        Anything else, including a failed look-up, leaves ``err`` as it was.
        """
        account = getattr(credential, "account", None)
        user_id = getattr(account, "upstream_user_id", "")
        if not user_id:
            return err
        try:
            info = self.profile(bot_token, user_id)
        except PlatformError as info_err:
            if info_err.transient:
                return info_err
            if info_err.evidence.error == "user_not_found":
                return _explained(
                    Situation.USER_DELETED,
                    err,
                    "users.info no longer finds this user in the workspace (user_not_found).",
                )
            return err
        if info.get("deleted") is True:
            return _explained(
                Situation.USER_DELETED,
                err,
                "users.info shows the user deactivated (deleted: true): a workspace admin "
                "removed them.",
            )
        return err

    def profile(self, token: str, user_id: str) -> dict[str, Any]:
        """``users.info``: the user object (``deleted``, ``is_restricted``, ``profile.email``…)."""
        response = call("profile", lambda: web_client(token).users_info(user=user_id))
        user = response.get("user")
        if not isinstance(user, dict):
            raise PlatformError(
                Situation.UNKNOWN,
                Evidence(
                    platform=PLATFORM,
                    endpoint="profile",
                    http_status=response.status_code,
                    error="no_user",
                    description="users.info answered ok without a user object.",
                ),
            )
        return user

    # --- messages -------------------------------------------------------------------------------
    def render(self, message: Message) -> dict[str, Any]:
        return render_payload(message)

    def send(
        self, installation: Installation, account: PlatformAccount, message: Message
    ) -> SendResult:
        payload = self.render(message)
        try:
            # A DM: chat.postMessage to the user id opens (or reuses) the bot's IM with them.
            # A refused expired token posted nothing, so the retry after a refresh is safe.
            response = self._as_bot(
                installation,
                "send",
                lambda token: call(
                    "send",
                    lambda: web_client(token).chat_postMessage(
                        channel=account.upstream_user_id, unfurl_links=False, **payload
                    ),
                ),
            )
        except PlatformError as err:
            if err.evidence.error in BOT_GONE_CODES:
                # On the bot token these codes mean the app is gone from the workspace.
                raise PlatformError(Situation.APP_UNINSTALLED, err.evidence) from None
            raise
        return SendResult(
            message_id=str(response.get("ts") or ""),
            conversation_id=str(response.get("channel") or ""),
        )

    def find_sent(
        self,
        installation: Installation | None,
        account: PlatformAccount,
        key: str,
        *,
        since: datetime | None = None,
    ) -> bool:
        """Whether the bot's DM with ``account`` holds a Mio message carrying ``key``.

        ``conversations.open`` names the DM ``send`` posts into (the bot's IM with the user;
        it is resumed, never created twice), then ``conversations.history`` with
        ``include_all_metadata`` reads it newest first from ``since`` (default: the last
        ``LOOKUP_WINDOW``): the key travels in the message metadata (``blocks.render_payload``).
        Needs the bot scopes ``im:write`` and ``im:history``. Raises ``PlatformError``:
        transient when Slack cannot answer now; permanent when it cannot tell (the bot is
        gone, a scope is missing, or more than ``HISTORY_PAGES`` pages are newer than
        ``since``).
        """
        client = web_client(self._bot_token(installation, "lookup"))
        channel_id = self.dm_channel(client, account.upstream_user_id)
        oldest = _slack_ts(since or timezone.now() - LOOKUP_WINDOW)
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            page = call(
                "lookup",
                partial(
                    client.conversations_history,
                    channel=channel_id,
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=HISTORY_PAGE_SIZE,
                    cursor=cursor,
                ),
            )
            messages = page.get("messages")
            if not isinstance(messages, list):
                raise _lookup_failed("no_messages", "conversations.history answered no list.")
            if any(isinstance(m, dict) and idempotency_key_of(m) == key for m in messages):
                return True
            metadata = page.get("response_metadata")
            cursor = metadata.get("next_cursor") if isinstance(metadata, dict) else None
            if not page.get("has_more") or not cursor:
                return False
        raise _lookup_failed(
            "history_too_long",
            f"More than {HISTORY_PAGES * HISTORY_PAGE_SIZE} messages in the DM since "
            f"{since or 'the lookup window began'}; not all of them were read.",
        )

    def dm_channel(self, client: Any, user_id: str) -> str:
        """``conversations.open`` (``users`` = one id): the bot's IM with that user, its ``D…``
        id (https://docs.slack.dev/reference/methods/conversations.open)."""
        opened = call("lookup", lambda: client.conversations_open(users=user_id))
        channel = opened.get("channel")
        channel_id = channel.get("id") if isinstance(channel, dict) else None
        if not isinstance(channel_id, str) or not channel_id:
            raise _lookup_failed("no_channel", "conversations.open answered ok without a DM id.")
        return channel_id

    # --- the bot token ----------------------------------------------------------------------------
    def _bot_token(
        self, installation: Installation | None, endpoint: str, *, stale: bool = False
    ) -> str:
        """The installation's bot token, refreshed first when it is (about to be) expired.

        ``stale``: Slack just refused the stored token as expired (a clock ahead of ours), so
        refresh whatever its expiry says. Raises ``PlatformError``: ``APP_UNINSTALLED`` when
        there is no active bot or Slack refuses its refresh token, transient when the refresh
        cannot be done now (Slack, or another worker holding the lock for too long).
        """
        if installation is None or not installation.credential_id or not installation.is_active:
            raise _no_bot(endpoint)
        credential = installation.credential
        if credential is None:
            raise _no_bot(endpoint)
        if credential.refresh_token and (stale or self._expiring(credential)):
            try:
                credential = self.refresh(credential)
            except LockBusy:
                raise PlatformError(
                    Situation.TRANSIENT,
                    Evidence(
                        platform=PLATFORM,
                        endpoint="token",
                        error="refresh_locked",
                        description="Another worker is refreshing the bot token; try again.",
                    ),
                ) from None
            installation.credential = credential  # later calls in this run see the new token
        bot_token = reveal(credential.access_token)
        if not bot_token:
            raise _no_bot(endpoint)
        return bot_token

    def _as_bot(self, installation: Installation, endpoint: str, use: Callable[[str], Any]) -> Any:
        """``use(bot_token)``; once more with a refreshed token if Slack says it expired."""
        try:
            return use(self._bot_token(installation, endpoint))
        except PlatformError as err:
            credential = installation.credential if installation.credential_id else None
            if err.situation != Situation.ACCESS_TOKEN_EXPIRED or not (
                credential and credential.refresh_token
            ):
                raise
        return use(self._bot_token(installation, endpoint, stale=True))

    # --- OAuth ----------------------------------------------------------------------------------
    def begin_oauth(self, *, redirect_uri: str, login_hint: str = "") -> OAuthStart:
        return oauth.begin(redirect_uri=redirect_uri, login_hint=login_hint)

    def finish_oauth(
        self, flow: dict[str, Any], params: dict[str, str], *, redirect_uri: str
    ) -> TokenGrant:
        return oauth.finish(flow, params, redirect_uri=redirect_uri)

    # --- on-use detection -----------------------------------------------------------------------
    def classify_relay_error(self, status: int | None, body: Any) -> PlatformError:
        """The relay's failed call (user token): Slack's ``{"ok": false, "error": …}`` body."""
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        raw = body if isinstance(body, str) else json.dumps(body, default=str)
        data = body
        if isinstance(body, str):
            try:
                data = json.loads(body)
            except ValueError:
                data = {}
        if not isinstance(data, dict):
            data = {}
        return classify("relay", status, data, {}, raw)


def _explained(situation: Situation, err: PlatformError, why: str) -> PlatformError:
    evidence = replace(err.evidence, description=f"{err.evidence.description} {why}".strip())
    return PlatformError(situation, evidence)


def _no_bot(endpoint: str) -> PlatformError:
    return PlatformError(
        Situation.APP_UNINSTALLED,
        Evidence(
            platform=PLATFORM,
            endpoint=endpoint,
            error="no_bot_token",
            description="Mio has no active bot installation in this Slack workspace.",
        ),
    )


def _slack_ts(moment: datetime) -> str:
    """A Slack timestamp (seconds.microseconds) for ``moment``."""
    return f"{moment.timestamp():.6f}"


def _lookup_failed(code: str, description: str) -> PlatformError:
    """Slack answered, but not enough to say whether the message is there."""
    return PlatformError(
        Situation.UNKNOWN,
        Evidence(platform=PLATFORM, endpoint="lookup", error=code, description=description),
    )


def _installation(tenant_id: int) -> Installation | None:
    from tokens.models import Installation

    return (
        Installation.objects.select_related("credential")
        .filter(tenant_id=tenant_id, platform=PLATFORM, is_active=True)
        .first()
    )
