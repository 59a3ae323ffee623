"""Giving back a token Mio will not keep (issue 14, finding 7).

A re-sync that comes back signed in as *another* upstream account is refused and nothing is
stored; the token the platform issued for that other account is then revoked where the platform
offers a way, so it does not stay valid at the platform, unused, for its whole lifetime.

- Slack: ``auth.revoke`` with the token itself (https://docs.slack.dev/reference/methods/auth.revoke;
  slack-sdk's ``WebClient.auth_revoke``). Revoking the user token ends that grant.
- Teams (Entra), Zoom and Webex: no call revokes one token an app was issued without also acting
  on the person's other sessions or the whole app's grant; their tokens expire on their own
  (Entra and Webex access tokens within hours; the refresh token is never stored).

Best effort: a failure is logged (never the token) and changes nothing for the person, who has
already been told to sign in as the right account.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from platforms.base import TokenGrant
from platforms.errors import PlatformError

log = logging.getLogger(__name__)


def _slack(grant: TokenGrant) -> bool:
    from platforms.slack.client import call, web_client

    response = call("revoke", lambda: web_client(grant.access_token).auth_revoke())
    return bool(response.get("revoked"))


REVOKERS: dict[str, Callable[[TokenGrant], bool]] = {"slack": _slack}


def revoke_unwanted(platform: str, grant: TokenGrant) -> bool:
    """Revoke ``grant`` at ``platform`` if it can be; True when the platform confirmed it."""
    revoker = REVOKERS.get(platform)
    if revoker is None or not grant.access_token:
        return False
    try:
        revoked = revoker(grant)
    except PlatformError as exc:
        log.warning("%s: revoking an unwanted token failed: %s", platform, exc.evidence.error)
        return False
    except Exception:  # a revocation must never turn the refusal page into a 500
        log.exception("%s: revoking an unwanted token failed", platform)
        return False
    log.info("%s: the token issued for another account was revoked: %s", platform, revoked)
    return revoked
