"""``requests`` as the browser: cookies, CSRF forms, the platform's consent page, redirects."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlparse

import requests

from platforms.tests.contract import _hidden_fields


class Browser:
    def __init__(self) -> None:
        self.http = requests.Session()
        self.http.trust_env = False

    def get(self, url: str) -> requests.Response:
        page = self.http.get(url, timeout=30, allow_redirects=False)
        # A finished sign-in redirects to its success page (so reloading it is harmless):
        # follow that one, as a browser does, and no other.
        if page.status_code == 302 and page.headers["Location"].endswith("/resync/done/"):
            page = self.http.get(
                urljoin(url, page.headers["Location"]), timeout=30, allow_redirects=False
            )
        return page

    def submit(self, page: requests.Response, action: str = "", **data: str) -> requests.Response:
        """POST the page's form (CSRF token included), as pressing its button does."""
        fields = _hidden_fields(page.text)
        target = action or re.search(r'<form method="post" action="([^"]+)"', page.text)[1]
        if target.startswith("/"):
            parsed = urlparse(page.url)
            target = f"{parsed.scheme}://{parsed.netloc}{target}"
        return self.http.post(
            target,
            data={**fields, **data},
            headers={"Referer": page.url},
            timeout=30,
            allow_redirects=False,
        )

    def sign_in(self, landing: requests.Response, **consent: str) -> requests.Response:
        """Press Re-sync, pass the platform's consent page, follow back to the callback."""
        started = self.submit(landing)
        assert started.status_code == 302, started.text[:500]
        authorize = self.get(started.headers["Location"])
        assert authorize.status_code == 200, authorize.text[:500]
        answer = self.http.post(
            authorize.url,
            data={"decision": "allow", **_hidden_fields(authorize.text), **consent},
            timeout=30,
            allow_redirects=False,
        )
        assert answer.status_code in (302, 303), answer.text[:500]
        return self.get(answer.headers["Location"])
