"""RFC 6238 codes computed in the tests themselves (not with allauth's code under test)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

# allauth accepts the current period's code only (MFA_TOTP_TOLERANCE is 0): a code taken in a
# period's last seconds may be stale by the time a browser test's form reaches the server.
FRESH_SECONDS = 5


def totp_code(secret: str, at: float | None = None, period: int = 30, digits: int = 6) -> str:
    if at is None:
        left = period - time.time() % period
        if left < FRESH_SECONDS:
            time.sleep(left + 0.05)
    counter = int((time.time() if at is None else at) // period)
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}d}"
