"""Microsoft Teams: Entra ID tokens through msal, Graph ``/me`` as the probe, the Bot Framework
connector for Mio's messages.

Every check redeems the refresh token (``refresh_on_every_check``): Entra enforces Conditional
Access, consent, disabled users and revocation at the token endpoint, not at Graph, so a probe
alone would read a blocked user as healthy until the access token runs out. Each redemption
returns a new refresh token, stored at once; its 90-day inactivity window slides with it.

The Entra tenant is the account's ``workspace_id``; a tenant's ``entra_tenant_id``, when set,
names the authority instead (so an operator can pin it).
"""

from __future__ import annotations

import base64
import json
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from platforms.base import (
    Identity,
    OAuthStart,
    PlatformAdapter,
    SendResult,
    TokenGrant,
)
from platforms.errors import Evidence, PlatformError
from platforms.messages import Message
from platforms.teams import cards, entra, graph
from platforms.teams.connector import (
    Connector,
    bot_id,
    is_conversation_gone,
    member_id,
    read_error,
)
from platforms.teams.errors import TEAMS_ERRORS, entra_situation
from platforms.teams.oauth import begin, finish
from tokens.secret import reveal
from tokens.situations import Situation

if TYPE_CHECKING:
    from tokens.models import Credential, Installation, PlatformAccount

log = logging.getLogger(__name__)


class TeamsAdapter(PlatformAdapter):
    key = "teams"
    label = "Microsoft Teams"
    errors = TEAMS_ERRORS
    # Entra refresh tokens die after 90 days unused; each redemption starts a new 90 days.
    refresh_idle_limit = timedelta(days=90)
    # A new refresh token comes back with every redemption; Entra leaves the old one valid until
    # its own expiry, but only the newest is kept (and the lock keeps redemptions one at a time).
    rotating_refresh_tokens = True
    refresh_on_every_check = True

    # --- tokens -------------------------------------------------------------------------------
    def redeem_refresh_token(
        self, credential: Credential, refresh_token: str, *, claims_challenge: str | None = None
    ) -> TokenGrant:
        result = entra.redeem_refresh_token(
            tenant_of(credential), refresh_token, claims_challenge=claims_challenge
        )
        return grant_from_result(result)

    def probe(self, credential: Credential, access_token: str) -> Identity:
        try:
            return graph.me(access_token)
        except graph.ClaimsChallenge as challenge:
            # Continuous Access Evaluation: Graph revoked this token after a critical event. Ask
            # Entra for a token carrying the claims; Entra's refusal (user disabled, sessions
            # revoked, CA…) is the real situation. If Entra issues one, Graph must accept it.
            credential = self._refresh_with_claims(credential, challenge.claims)
            return graph.me(reveal(credential.access_token) or "")

    def _refresh_with_claims(self, credential: Credential, claims: str) -> Credential:
        # The engine's one refresh path (lock, store, salvage), forced: a CAE challenge means the
        # access token is refused even though it has not expired.
        return self.refresh(credential, force=True, claims_challenge=claims)

    # --- messages -----------------------------------------------------------------------------
    def render(self, message: Message) -> dict[str, Any]:
        return cards.activity(message)

    def send(
        self, installation: Installation, account: PlatformAccount, message: Message
    ) -> SendResult:
        tenant = account.workspace_id or installation.workspace_id
        activity = self.render(message)
        activity["from"] = {"id": installation.bot_user_id or bot_id(), "name": "Mio"}
        activity["recipient"] = {"id": member_id(account), "aadObjectId": account.upstream_user_id}
        if message.idempotency_key:
            # The connector keeps one activity per id in a conversation: a retried send is
            # recognised instead of delivered twice.
            activity["id"] = message.idempotency_key
        connector = Connector(installation.service_url)
        address = ""
        try:
            conversation = account.conversation_id
            if not conversation:
                conversation, address = self._open(connector, tenant, account)
            try:
                activity["conversation"] = {"id": conversation}
                message_id = connector.send_activity(conversation, activity)
            except PlatformError as err:
                if not (account.conversation_id and is_conversation_gone(err)):
                    raise
                # The cached conversation is gone (the chat was reset): create it afresh once.
                conversation, address = self._open(connector, tenant, account)
                activity["conversation"] = {"id": conversation}
                message_id = connector.send_activity(conversation, activity)
        finally:
            connector.close()
        return SendResult(message_id=message_id, conversation_id=conversation, chat_address=address)

    def _open(self, connector: Connector, tenant: str, account: PlatformAccount) -> tuple[str, str]:
        """Create the 1:1 conversation: (its id, the person's 29: id if newly learnt, else "").

        With the stored Teams user id when there is one. Those ids are per bot, so one a
        re-registered bot no longer knows (400 ``BadArgument``) falls back to the Entra object
        id, Teams' documented alternative for personal chats, and the id is learnt again.
        """
        member = member_id(account)
        if member != account.upstream_user_id:
            try:
                return connector.create_conversation(tenant, member), ""
            except PlatformError as err:
                if err.evidence.error != "BadArgument":
                    raise
                log.info("Teams refused the stored user id of account %s: %s", account.pk, err)
        conversation = connector.create_conversation(tenant, account.upstream_user_id)
        return conversation, self._teams_user_id(connector, conversation, account)

    def _teams_user_id(
        self, connector: Connector, conversation: str, account: PlatformAccount
    ) -> str:
        """The ``29:`` id to address this person by from now on, read from the new
        conversation's roster by Entra object id. A failure here costs nothing but the
        fallback staying in use, so it never fails the send."""
        try:
            return connector.teams_user_id(conversation, account.upstream_user_id)
        except PlatformError as err:
            log.info("Teams roster gave no user id for account %s: %s", account.pk, err)
            return ""

    # --- OAuth --------------------------------------------------------------------------------
    def begin_oauth(self, *, redirect_uri: str, login_hint: str = "") -> OAuthStart:
        return begin(redirect_uri=redirect_uri, login_hint=login_hint)

    def finish_oauth(
        self, flow: dict[str, Any], params: dict[str, str], *, redirect_uri: str
    ) -> TokenGrant:
        return finish(flow, params, redirect_uri=redirect_uri)

    # --- on-use detection ---------------------------------------------------------------------
    def classify_relay_error(self, status: int | None, body: Any) -> PlatformError:
        """A relay's failed Entra, Graph or Bot Framework call, classified like a check.

        ``body`` is whatever JSON the relay forwarded: any field of an unexpected shape counts
        as absent, so an unreadable body is ``unknown`` with the raw text as evidence.
        """
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        data = _as_dict(body)
        raw = body if isinstance(body, str) else json.dumps(body, default=str)
        evidence = Evidence(platform=self.key, endpoint="relay", http_status=status)
        evidence.raw = Evidence.clip(raw)
        if status is not None and (status == 429 or status >= 500):
            evidence.error = "transient"
            return PlatformError(Situation.TRANSIENT, evidence)
        if "error_codes" in data or "suberror" in data:
            return entra.from_body(data, "relay", status=status, raw=raw)
        # Graph and the Bot Framework ErrorResponse: {"error": {"code", "message"}}; Teams'
        # connector also answers {"errorCode": 209, "message": "<JSON with subCode>"}.
        code, description, numeric = read_error(data)
        evidence.error = code
        evidence.description = description
        evidence.error_codes = [numeric] if numeric else []
        situation = None
        if code:
            situation = TEAMS_ERRORS.lookup(f"graph:{code}", f"bot:{code}")
        if situation is None and isinstance(data.get("error"), str):
            evidence.error = entra.text(data["error"])
            situation = entra_situation([], entra.text(data.get("suberror")))
        if situation is None:
            situation = Situation.ACCESS_TOKEN_EXPIRED if status == 401 else Situation.UNKNOWN
        return PlatformError(situation, evidence)


def tenant_of(credential: Credential) -> str:
    """The Entra tenant for the authority: the tenant's pinned id, else the account's.

    Uses what the caller already loaded (``select_related``); otherwise one query reads both.
    """
    from tokens.models import Credential as CredentialModel
    from tokens.models import PlatformAccount

    pinned = None
    if CredentialModel.tenant.is_cached(credential):
        pinned = credential.tenant.entra_tenant_id
        if pinned:
            return pinned
        if CredentialModel.account.is_cached(credential):
            account = credential.account
            return (account.workspace_id if account else "") or "organizations"
    row = (
        PlatformAccount.objects.filter(credential_id=credential.pk)
        .values_list("workspace_id", "person__tenant__entra_tenant_id")
        .first()
    )
    if row is None:
        return pinned or "organizations"
    workspace_id, entra_tenant_id = row
    return entra_tenant_id or workspace_id or "organizations"


def grant_from_result(result: dict[str, Any]) -> TokenGrant:
    """Entra's token answer -> TokenGrant, naming the user from the id token's claims."""
    claims = result.get("id_token_claims") or {}
    if not claims and result.get("client_info"):
        claims = _client_info(str(result["client_info"]))
    return TokenGrant(
        access_token=str(result["access_token"]),
        refresh_token=result.get("refresh_token"),
        expires_in=int(result["expires_in"]) if result.get("expires_in") else None,
        scopes=str(result.get("scope") or "").split(),
        upstream_user_id=str(claims.get("oid") or ""),
        workspace_id=str(claims.get("tid") or ""),
        email=str(claims.get("preferred_username") or claims.get("email") or ""),
    )


def _client_info(value: str) -> dict[str, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (ValueError, TypeError):
        return {}
    return (
        {"oid": data.get("uid", ""), "tid": data.get("utid", "")} if isinstance(data, dict) else {}
    )


def _as_dict(body: Any) -> dict[str, Any]:
    if isinstance(body, dict):
        return body
    if isinstance(body, str | bytes):
        try:
            data = json.loads(body)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return {}
