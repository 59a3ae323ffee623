from __future__ import annotations

import pytest


@pytest.fixture
def mail_outbox(settings):
    """Django's in-memory mail backend (the email fallback channel)."""
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return mail.outbox
