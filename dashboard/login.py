"""django-allauth adapters: dashboard users are made by the operator, never by signing up.

Local accounts sign in with a password and TOTP. "Sign in with Microsoft" (allauth's microsoft
provider) never creates a user: a stranger with a Microsoft account gets allauth's "sign up
closed" page.

The first Microsoft sign-in *connects* the Microsoft identity to the existing dashboard user with
the same email. Email in Entra is neither verified nor owned: any directory's admin can give one
of their users any ``mail`` (the "nOAuth" takeover). So an email match alone connects nothing:

- the identity's directory (``tid``) must be the Entra directory of a Mio tenant the user is a
  member of (``Tenant.entra_tenant_id``, or the directory the tenant's Teams app is installed
  in). Operators (superusers and staff, who reach every tenant and the Django admin) may only
  connect from the directories in ``MICROSOFT_LOGIN_OPERATOR_TENANT_IDS``, which is empty by
  default: operators sign in with password and TOTP;
- a user who already has a Microsoft identity is not given a second one by email (a
  look-alike in the same directory cannot join it); the operator removes the old one first.

Once connected, allauth finds the user by the identity's object id (the Graph ``id``, Entra's
``oid``), never by email again, so a later email change in Entra still lands on the same user and
cannot move anyone onto another. Every Microsoft sign-in, first or later, must still come from
one of the user's directories, so removing a membership also ends its Microsoft sign-in. A
refusal shows ``account/microsoft_refused.html`` (403), connects nothing, and is written to the
audit log.

allauth wipes the password of a user reached by email whose address is not verified (against an
attacker who signed up first with the victim's address). Here nobody signs up: the operator made
the user and chose the address, and the directory check above has passed, so the first
connection records the address as verified and the user keeps their password.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount, SocialLogin
from allauth.socialaccount.providers.base import AuthProcess
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import render

from accounts.models import Membership, Tenant
from dashboard import lockout
from dashboard.audit import record
from mio_heal import clientip
from tokens.models import Installation

logger = logging.getLogger(__name__)

MICROSOFT = "microsoft"


# Kept in the social login's state (which allauth keeps in the session through the second-factor
# stage): connect this identity once the whole sign-in, second factor included, has succeeded.
CONNECT_AFTER_LOGIN = "mio_connect_after_login"


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        # allauth's per-key limit counts per account *and* client here (see below): 5 in 5 min.
        "too_many_login_attempts": (
            "Too many failed login attempts. Try again in 5 minutes at most."
        ),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    # --- lockouts (dashboard/lockout.py) ------------------------------------------------------
    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth's "login_failed" per-key rate would lock an account for everyone after a
        # stranger's failures; keyed by account *and* client address, it limits that client.
        # (A private hook of allauth's adapter, 65.x: the key of that rate.)
        base = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{base}:{clientip.client_ip(request) or '-'}"

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        left = lockout.wait_left(lockout.subject_of(_login_of(credentials)))
        if left:
            raise ValidationError(
                f"Too many failed sign-ins for this account. Try again in "
                f"{lockout.describe(left)}, or ask your operator to unlock it."
            )
        super().pre_authenticate(request, **credentials)

    def authenticate(self, request: HttpRequest, **credentials: Any) -> Any:
        user = super().authenticate(request, **credentials)
        if user is not None:
            lockout.succeeded(lockout.subject_of(_login_of(credentials)))
        return user

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        wait = lockout.failed(lockout.subject_of(_login_of(credentials)))
        if wait:
            logger.warning("sign-in: account locked for %ss after repeated failures", wait)

    def post_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> Any:
        # Runs after every login stage (the TOTP step included) has passed: only now is a
        # Microsoft identity bound to the dashboard user (issue 14, finding 4).
        sociallogin = (kwargs.get("signal_kwargs") or {}).get("sociallogin")
        if sociallogin is not None and (sociallogin.state or {}).pop(CONNECT_AFTER_LOGIN, False):
            connect_after_login(request, sociallogin, user)
        return super().post_login(request, user, **kwargs)


def _login_of(credentials: dict[str, Any]) -> str:
    return str(credentials.get("email") or credentials.get("username") or "")


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: object) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        # Runs after allauth's lookup (by uid, else by email) and before it connects or logs in.
        if sociallogin.account.provider != MICROSOFT:
            return
        if (sociallogin.state or {}).get("process") == AuthProcess.CONNECT:
            # A signed-in user adding an identity (allauth's connections page): same rules.
            user = request.user if request.user.is_authenticated else None
        else:
            user = sociallogin.user if sociallogin.is_existing else None
        if user is not None:  # nobody found: allauth shows "sign up closed"
            check_microsoft_login(request, sociallogin, user)
        # Its claims are read; Mio keeps no Microsoft token (SOCIALACCOUNT_STORE_TOKENS is off),
        # and allauth would otherwise keep it in the session until the second factor is given.
        sociallogin.token = None


def check_microsoft_login(request: HttpRequest, sociallogin: SocialLogin, user: Any) -> None:
    """Let a Microsoft sign-in reach (or connect to) ``user``, or raise the refusal page."""
    account = sociallogin.account
    claims = token_claims(sociallogin.token.token if sociallogin.token else "")
    tid = str(claims.get("tid") or "").lower()
    oid = str(claims.get("oid") or "").lower()
    connecting = account.pk is None
    if not tid or oid != str(account.uid).lower():
        # Without the directory we cannot tell whose identity this is; and a token for another
        # object than Graph's /me answered about means something is wrong: refuse both.
        _refuse(request, user, account, "no_directory", tid)
    if connecting and SocialAccount.objects.filter(user=user, provider=MICROSOFT).exists():
        _refuse(request, user, account, "already_connected", tid)
    if tid not in allowed_directories(user):
        _refuse(request, user, account, "wrong_directory", tid)
    # Kept with the identity: which directory it belongs to, for the operator's eyes.
    account.extra_data = {**(account.extra_data or {}), "tid": tid}
    if not connecting:
        account.save(update_fields=["extra_data"])
    elif (sociallogin.state or {}).get("process") != AuthProcess.CONNECT:
        # A sign-in found by email: allauth would connect the identity (and wipe an unverified
        # password) now, before the second factor. Nothing is bound or changed until the whole
        # sign-in has succeeded: AccountAdapter.post_login connects it then. (allauth keeps no
        # hook for this: its "found by email" marker is what makes it connect at once.)
        sociallogin._did_authenticate_by_email = None
        sociallogin.state[CONNECT_AFTER_LOGIN] = True
    elif user.email:
        _keep_password(user)  # a signed-in user adding the identity: the session vouches


def connect_after_login(request: HttpRequest, sociallogin: SocialLogin, user: Any) -> None:
    """Bind the Microsoft identity to ``user`` (called once their sign-in fully succeeded)."""
    account = sociallogin.account
    if SocialAccount.objects.filter(provider=MICROSOFT, uid=account.uid).exists():
        return  # connected meanwhile (another tab's sign-in): nothing to add
    if SocialAccount.objects.filter(user=user, provider=MICROSOFT).exists():
        return  # the one-identity rule, checked again now
    if user.email:
        _keep_password(user)
    sociallogin.connect(request, user)
    record(
        request,
        "login.microsoft_connected",
        tenant_id=None,
        target=user,
        detail={
            "tid": str((account.extra_data or {}).get("tid", "")),
            "oid": str(account.uid)[:64],
        },
    )


def _keep_password(user: Any) -> None:
    """Record the operator-given address as verified (see the module docstring)."""
    try:
        address = EmailAddress.objects.get_for_user(user, user.email)
    except EmailAddress.DoesNotExist:
        EmailAddress.objects.create(
            user=user,
            email=user.email,
            verified=True,
            primary=not EmailAddress.objects.filter(user=user, primary=True).exists(),
        )
        return
    if not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])


def allowed_directories(user: Any) -> set[str]:
    """The Entra directories (tenant ids, lower case) ``user`` may sign in with Microsoft from."""
    if user.is_superuser or user.is_staff:
        return {t.lower() for t in settings.MICROSOFT_LOGIN_OPERATOR_TENANT_IDS if t}
    tenant_ids = Membership.objects.filter(user_id=user.pk).values("tenant_id")
    pinned = Tenant.objects.filter(pk__in=tenant_ids).values_list("entra_tenant_id", flat=True)
    # A Teams installation's workspace is the directory the tenant's admin consented Mio in.
    # People's accounts are not used: a tenant's people may sit in partners' directories.
    installed = Installation.objects.filter(tenant_id__in=tenant_ids, platform="teams").values_list(
        "workspace_id", flat=True
    )
    return {d.lower() for d in [*pinned, *installed] if d}


def token_claims(token: str) -> dict[str, Any]:
    """The claims of the access token allauth just redeemed the code for ({} if unreadable).

    The signature is not checked, on purpose: the token came straight from Entra's token
    endpoint over TLS, in exchange for our code, PKCE verifier and client secret, and Graph
    accepted it for ``/me`` (OpenID Connect allows the same for an ID token received that way).
    A token we cannot read (an opaque or encrypted one) gives no directory, and is refused.
    """
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (binascii.Error, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


REASONS = {
    "no_directory": "Microsoft did not say which organisation this account belongs to.",
    "already_connected": "This dashboard user is already connected to another Microsoft account.",
    "wrong_directory": (
        "This Microsoft account belongs to an organisation that is not one of this dashboard "
        "user's organisations."
    ),
}


def _refuse(request: HttpRequest, user: Any, account: SocialAccount, reason: str, tid: str) -> None:
    detail = {"reason": reason, "tid": tid, "oid": str(account.uid)[:64]}
    logger.warning("Microsoft sign-in refused for dashboard user %s: %s", user.pk, detail)
    record(request, "login.microsoft_refused", tenant_id=None, target=user, detail=detail)
    response = render(
        request, "account/microsoft_refused.html", {"reason": REASONS[reason]}, status=403
    )
    raise ImmediateHttpResponse(response)
