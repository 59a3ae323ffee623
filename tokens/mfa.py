"""Second-factor secrets (allauth MFA) encrypted at rest with the token vault's keys.

allauth keeps a TOTP authenticator's shared secret (``data["secret"]``) and the recovery codes'
seed (``data["seed"]``, and ``data["migrated_codes"]`` when imported) in the
``mfa_authenticator`` table, and passes each through its MFA adapter's ``encrypt()`` /
``decrypt()`` hooks, which by default do nothing. Anyone who reads the table (a backup, a
``dumpdata``, a read-only SQL account) could then mint the second factor of every dashboard user,
the operator's included. Here the hooks use the same MultiFernet as the platform tokens
(``TOKEN_ENCRYPTION_KEYS``), so one key set protects everything secret at rest, and
``rotate_token_keys`` re-encrypts these values too (``rotate_authenticators``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.mfa.adapter import DefaultMFAAdapter
from django.db import transaction

from tokens import vault

# The keys of Authenticator.data that allauth passes through encrypt()/decrypt().
SECRET_KEYS = ("secret", "seed")
SECRET_LISTS = ("migrated_codes",)


class VaultMFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return vault.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        # Strict on purpose: a plaintext value left over would mean the data migration did not
        # run, and accepting it would hide that every secret is still readable.
        return vault.decrypt(encrypted_text)


def is_encrypted(value: str) -> bool:
    """True when the vault decrypts ``value`` (with any key): it is not a plaintext secret."""
    try:
        vault.decrypt(value)
    except vault.VaultError:
        return False
    return True


def map_secrets(data: dict[str, Any], change: Any) -> dict[str, Any]:
    """A copy of an authenticator's ``data`` with ``change`` applied to every secret value."""
    out = dict(data)
    for key in SECRET_KEYS:
        if isinstance(out.get(key), str) and out[key]:
            out[key] = change(out[key])
    for key in SECRET_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [change(v) if isinstance(v, str) and v else v for v in out[key]]
    return out


def encrypt_plaintext(value: str) -> str:
    """For the data migration: encrypt a value unless it already is (running twice is safe)."""
    return value if is_encrypted(value) else vault.encrypt(value)


@dataclass
class AuthenticatorRotation:
    rows: int = 0
    rewritten: int = 0


def rotate_authenticators(model: Any = None, *, batch_size: int = 500) -> AuthenticatorRotation:
    """Re-encrypt every second-factor secret under the newest key (part of rotate_token_keys).

    Each row is re-read under a row lock (``select_for_update``; SQLite's IMMEDIATE transactions
    lock the whole file) so a user who enrols or uses a recovery code meanwhile loses nothing.
    """
    if model is None:
        from allauth.mfa.models import Authenticator as model
    stats = AuthenticatorRotation()
    last = 0
    while True:
        ids = list(
            model.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return stats
        with transaction.atomic():
            for row in model.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
                stats.rows += 1
                rotated = map_secrets(
                    row.data, lambda v: v if vault.is_current(v) else vault.rotate(v)
                )
                if rotated != row.data:
                    model.objects.filter(pk=row.pk).update(data=rotated)
                    stats.rewritten += 1
        last = ids[-1]
