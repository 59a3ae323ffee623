"""Encryption of tokens at rest: Fernet keys from ``TOKEN_ENCRYPTION_KEYS``, newest first.

MultiFernet encrypts with the first key and decrypts with any, so a new key is added in front,
``rotate_token_keys`` re-encrypts every row, and only then is the old key dropped.
"""

from __future__ import annotations

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class VaultError(Exception):
    """A stored token could not be decrypted. Never carries the ciphertext or plaintext."""


@functools.lru_cache(maxsize=4)
def _fernets(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    if not keys:
        raise ImproperlyConfigured("TOKEN_ENCRYPTION_KEYS is empty.")
    try:
        fernets = [Fernet(k.encode()) for k in keys]
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "TOKEN_ENCRYPTION_KEYS must hold url-safe base64 Fernet keys of 32 bytes, "
            "comma-separated, newest first."
        ) from exc
    return MultiFernet(fernets), fernets[0]


def _keys() -> tuple[MultiFernet, Fernet]:
    return _fernets(tuple(settings.TOKEN_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return _keys()[0].encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return _keys()[0].decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise VaultError(
            "a stored token could not be decrypted with any key in TOKEN_ENCRYPTION_KEYS "
            "(was a key removed before rotate_token_keys finished?)"
        ) from None


def is_current(ciphertext: str) -> bool:
    """True when the newest key alone decrypts it: rotation can skip this value."""
    try:
        _keys()[1].decrypt(ciphertext.encode())
    except InvalidToken:
        return False
    return True


def rotate(ciphertext: str) -> str:
    """Re-encrypt under the newest key (keeps the original timestamp)."""
    try:
        return _keys()[0].rotate(ciphertext.encode()).decode()
    except InvalidToken:
        raise VaultError("a stored token could not be decrypted for rotation") from None
