"""The demo logins' authenticators (TOTP), set up through django-allauth's MFA.

The dashboard asks every user for a TOTP code after the password. A demo login gets its
authenticator here, as if its owner had scanned the QR code; ``manage.py demo_totp <login>``
prints the current code (and the secret, for an authenticator app).
"""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from allauth.mfa.utils import decrypt
from django.contrib.auth import get_user_model

PERIOD = 30  # allauth's default (MFA_TOTP_PERIOD), which the settings keep


def ensure_totp(user: Any) -> bool:
    """Give ``user`` a TOTP authenticator unless they have one. True if new."""
    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        return False
    TOTP.activate(user, generate_totp_secret())
    return True


def secret_of(user: Any) -> str | None:
    row = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    return decrypt(row.data["secret"]) if row is not None else None


def code_for(secret: str, at: float | None = None) -> str:
    """The code an authenticator app shows for ``secret`` now (or at ``at``)."""
    return format_hotp_value(hotp_value(secret, int((time.time() if at is None else at) // PERIOD)))


def seconds_left(at: float | None = None) -> int:
    return PERIOD - int(time.time() if at is None else at) % PERIOD


def otpauth_url(user: Any, secret: str) -> str:
    """What the QR code holds: paste it into an authenticator app that accepts URLs."""
    return get_adapter().build_totp_url(user, secret)


def find_login(name: str) -> Any:
    """A dashboard user by username or email, or None."""
    User = get_user_model()
    return (
        User.objects.filter(username=name).first()
        or User.objects.filter(email__iexact=name).order_by("pk").first()
    )
