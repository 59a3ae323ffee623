"""Mio's bot installed in a sandbox workspace, as an admin's install of the app leaves it.

The fake mints the bot's grant (``provision_bot``) and ``tokens.provisioning`` records it, the
same call a real install flow makes. Used by the tests and the reliability rigs.
"""

from __future__ import annotations

from accounts.models import Tenant
from platforms.sandbox.registry import get_fake
from tokens.models import Installation
from tokens.provisioning import record_installation


def install_bot(tenant: Tenant, platform: str, workspace_id: str) -> Installation:
    """The tenant's installation on ``platform``, installing the bot in ``workspace_id`` first
    if there is none. An existing one is returned as it is: every account a test adds calls
    this, and only the first should mint a bot in the fake."""
    existing = Installation.objects.filter(tenant=tenant, platform=platform).first()
    if existing is not None:
        return existing
    bot = get_fake(platform).provision_bot(workspace_id)
    return record_installation(tenant, platform, workspace_id, bot)
