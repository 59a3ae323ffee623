"""The adapter contract every platform implements, and the shared check/refresh logic.

A platform package overrides only what is its own: how to redeem a refresh token, how to probe
an access token, how to send a message, how its OAuth flow runs, and its error table. Locking,
persisting rotated tokens and the order of a check live here, once.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils import timezone

from platforms.errors import ErrorTable, Evidence, PlatformError
from platforms.messages import Message
from tokens.secret import reveal
from tokens.situations import Situation

if TYPE_CHECKING:
    from tokens.models import Credential, Installation, PlatformAccount

# Refresh an access token this long before it expires rather than wait for a 401.
EXPIRY_MARGIN = timedelta(minutes=5)


@dataclass
class TokenGrant:
    """What a token endpoint returned, in plain words."""

    access_token: str
    refresh_token: str | None = None
    expires_in: int | None = None  # seconds
    refresh_expires_in: int | None = None  # seconds, when the platform says
    scopes: list[str] = field(default_factory=list)
    upstream_user_id: str = ""
    workspace_id: str = ""
    email: str = ""
    # How the bot addresses this person, as the platform names it (Zoom: the JID).
    chat_address: str = ""

    def __repr__(self) -> str:  # never print tokens
        return f"<TokenGrant user={self.upstream_user_id!r} expires_in={self.expires_in}>"


@dataclass
class Identity:
    """Who the access token belongs to, as the platform's identity call says."""

    upstream_user_id: str
    workspace_id: str = ""
    email: str = ""
    # How the bot addresses this person, as the platform names it (Zoom: the JID).
    chat_address: str = ""


@dataclass
class CheckOutcome:
    situation: Situation | None  # None: healthy
    evidence: Evidence | None = None
    refreshed: bool = False
    identity: Identity | None = None
    latency_ms: int = 0

    @property
    def healthy(self) -> bool:
        return self.situation is None

    @property
    def transient(self) -> bool:
        return self.situation == Situation.TRANSIENT


@dataclass
class OAuthStart:
    """Where to send the browser, and what to keep server-side until it comes back."""

    url: str
    flow: dict[str, Any]  # JSON-serialisable; holds state, PKCE verifier, nonce…


@dataclass
class SendResult:
    message_id: str = ""
    conversation_id: str = ""  # Teams: the 1:1 conversation to cache on the account
    # The platform's own address for the person, learnt while sending (Teams: the 29: user id),
    # to store on the account (``PlatformAccount.chat_address``); "" when nothing new was learnt.
    chat_address: str = ""


class PlatformAdapter(ABC):
    key: ClassVar[str]
    label: ClassVar[str]
    errors: ClassVar[ErrorTable]
    # The refresh token dies after this long unused (None: it does not, or no refresh tokens).
    refresh_idle_limit: ClassVar[timedelta | None] = None
    # Each refresh returns a new refresh token and voids the old one (Slack, Zoom).
    rotating_refresh_tokens: ClassVar[bool] = False
    # Teams: every check redeems the refresh token, since that is where Entra enforces CA,
    # consent, disabled users and revocation.
    refresh_on_every_check: ClassVar[bool] = False

    # --- what each platform implements ---------------------------------------------------------
    @abstractmethod
    def redeem_refresh_token(self, credential: Credential, refresh_token: str) -> TokenGrant:
        """Call the token endpoint; raise PlatformError classified by the error table."""

    @abstractmethod
    def probe(self, credential: Credential, access_token: str) -> Identity:
        """The cheap identity call; raise PlatformError (ACCESS_TOKEN_EXPIRED on a stale token)."""

    @abstractmethod
    def send(
        self, installation: Installation, account: PlatformAccount, message: Message
    ) -> SendResult:
        """Deliver ``message`` to ``account`` as the Mio bot, in the platform's native format."""

    @abstractmethod
    def render(self, message: Message) -> dict[str, Any]:
        """The native payload for ``message`` (Block Kit, Adaptive Card, Zoom chatbot content)."""

    @abstractmethod
    def begin_oauth(self, *, redirect_uri: str, login_hint: str = "") -> OAuthStart:
        """The authorize URL with state (and PKCE where supported) and the flow to keep."""

    @abstractmethod
    def finish_oauth(
        self, flow: dict[str, Any], params: dict[str, str], *, redirect_uri: str
    ) -> TokenGrant:
        """Check state, exchange the code; the grant names the upstream user it belongs to."""

    # --- optional: looking a sent message up -------------------------------------------------
    # A platform whose API can list the bot's 1:1 conversation defines
    #
    #     def find_sent(self, installation: Installation | None, account: PlatformAccount,
    #                   key: str, *, since: datetime | None = None) -> bool
    #
    # True when a message that ``send`` delivered with ``Message.idempotency_key == key`` is in
    # the bot's conversation with ``account``, False when it is not; ``since`` bounds how far
    # back to read (the outbox row's creation; None: the adapter's own recent window). It
    # raises ``PlatformError``: transient when the platform cannot answer now (recovery asks
    # again later), permanent when it cannot tell (the row is marked ``unconfirmed``).
    # ``notifications.recovery`` asks it about sends that were cut off, so they are neither
    # lost nor sent twice; the contract (``platforms.tests.contract``) tests it for platforms
    # that declare ``supports_lookup``. Slack and Webex define it; Teams and Zoom do not.

    def classify_relay_error(self, status: int | None, body: Any) -> PlatformError:
        """Turn a relay's raw platform error into a classified error (on-use detection)."""
        raise NotImplementedError

    # --- shared behaviour --------------------------------------------------------------------
    def check(self, credential: Credential) -> CheckOutcome:
        """Probe the credential, refreshing first when due; classify what went wrong."""
        started = time.monotonic()
        refreshed = False
        try:
            if self.refresh_on_every_check or self._expiring(credential):
                credential = self.refresh(credential)
                refreshed = True
            try:
                identity = self.probe(credential, reveal(credential.access_token) or "")
            except PlatformError as err:
                if err.situation != Situation.ACCESS_TOKEN_EXPIRED or refreshed:
                    raise
                credential = self.refresh(credential)
                refreshed = True
                identity = self.probe(credential, reveal(credential.access_token) or "")
        except PlatformError as err:
            return CheckOutcome(
                err.situation, err.evidence, refreshed, latency_ms=_ms_since(started)
            )
        return CheckOutcome(None, None, refreshed, identity, latency_ms=_ms_since(started))

    def refresh(self, credential: Credential, *, force: bool = False, **redeem: Any) -> Credential:
        """Refresh under the per-credential lock and store the new tokens at once.

        Returns the fresh credential. If another worker refreshed it while we waited for the
        lock, its tokens are used and the refresh token is not redeemed a second time (unless
        ``force``: a token with new claims is needed). ``redeem`` goes to
        ``redeem_refresh_token``. An answer the platform gave but nobody can read is salvaged
        or kept with the operator, never lost. The engine does the locking and storing
        (``tokens.redemption``); an adapter only speaks HTTP and returns a ``TokenGrant``.
        """
        from tokens import redemption

        return redemption.refresh(self, credential, force=force, **redeem)

    def _expiring(self, credential: Credential) -> bool:
        return (
            credential.expires_at is not None
            and credential.expires_at <= timezone.now() + EXPIRY_MARGIN
        )


def store_grant(credential: Credential, grant: TokenGrant) -> None:
    """Persist a grant the moment it arrives (``tokens.redemption.store_grant``)."""
    from tokens import redemption

    redemption.store_grant(credential, grant)


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
