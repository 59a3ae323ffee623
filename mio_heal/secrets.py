"""Secrets for the embedded default: generated once under var/, refused in production.

The embedded default must run with nothing set, so on first run it generates a Django secret key
and a Fernet token key and keeps them under ``var/`` (mode 0600). Production (``DEBUG`` off) must
be given real secrets; generating one there would silently invalidate sessions or, worse, make
stored tokens unreadable after a redeploy, so it refuses to start instead.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def generated_secret(
    name: str, *, value: str | None, debug: bool, var_dir: Path, make: Callable[[], str]
) -> str:
    """Return ``value`` if set; otherwise a secret kept under var/ (development only)."""
    if value:
        return value
    if not debug:
        raise ImproperlyConfigured(
            f"{name} is not set. Production mode (DEBUG=off) refuses to generate secrets: "
            f"set {name} in the environment (see docs/operations.md)."
        )
    path = var_dir / name.lower()
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    made = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(made)
    print(
        f"WARNING: generated {name} in {path} for the embedded default. "
        f"Production must set {name} in the environment.",
        file=sys.stderr,
    )
    return made


def make_django_secret() -> str:
    return secrets.token_urlsafe(50)


def make_fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def private_file(path: Path) -> None:
    """Create ``path`` readable by its owner only (0600), or narrow it to that if it exists.

    For the embedded default's SQLite file, which holds every token (encrypted) and every
    dashboard user's password hash: SQLite itself would create it with the umask (usually 0644),
    and it gives its ``-wal`` and ``-shm`` files the database file's mode, so narrowing this one
    file is enough.
    """
    if str(path) in {"", ":memory:"} or str(path).startswith("file:"):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another user's file is not ours to change: leave it as the operator set it.
        with contextlib.suppress(OSError):
            os.chmod(path, stat.S_IMODE(path.stat().st_mode) & 0o700)
    else:
        os.close(fd)


def check_fernet_keys(keys: list[str]) -> None:
    """Refuse to start with no key or a key that is not a Fernet key (32 url-safe base64 bytes)."""
    from cryptography.fernet import Fernet

    if not keys:
        raise ImproperlyConfigured("TOKEN_ENCRYPTION_KEYS holds no key.")
    for position, key in enumerate(keys, 1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            # Never echo the key itself: it may be a real key with a typo.
            raise ImproperlyConfigured(
                f"TOKEN_ENCRYPTION_KEYS: key {position} of {len(keys)} is not a Fernet key "
                "(32 bytes, url-safe base64; make one with "
                '`python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"`).'
            ) from None
