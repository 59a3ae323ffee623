"""Signing in to the dashboard in the browser: password, then the authenticator's code.

The code is computed here (``dashboard.tests.totp``, RFC 6238 written in the tests), not with
the allauth code that checks it.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page

from dashboard.tests.totp import totp_code


def fresh_code(secret: str) -> str:
    """A code with a few seconds of life left, so it is still valid when it arrives."""
    if 30 - time.time() % 30 < 3:
        time.sleep(30 - time.time() % 30 + 0.2)
    return totp_code(secret)


def sign_in(page: Page, base: str, username: str, password: str, secret: str, then: str) -> None:
    page.goto(f"{base}/accounts/login/?next={then}")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", fresh_code(secret))
    page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
    page.wait_for_url(re.compile(re.escape(then) + "$"))
