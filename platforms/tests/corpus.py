"""The wire-shape corpus: real request/response pairs both the adapters and the fakes answer to.

The fakes and the adapters were written by the same hands, so agreeing with each other proves
little. Each file under ``platforms/<platform>/fixtures/<endpoint>/`` is one exchange as the real
platform has it, with the ``source`` it was read from (the vendor's page, or the official SDK's
file and lines). Two suites read them (``platforms.tests.contract``):

- the adapter replays each ``response`` through the sandbox's ``script`` call and must read it as
  ``expect`` says (a grant, an identity, a situation, a transient fault, a delivery);
- the fake receives each ``request`` (placeholders filled from a freshly provisioned user) in the
  state ``fake.given`` and must answer with the same status and the same JSON structure.

A file looks like this (see ``docs/platforms.md`` for the whole corpus)::

    {"source": "https://docs.slack.dev/reference/methods/oauth.v2.access",
     "summary": "refresh of a rotating user token",
     "request": {"method": "POST", "url": "https://slack.com/api/oauth.v2.access",
                 "form": {"grant_type": "refresh_token", "refresh_token": "{refresh_token}"}},
     "response": {"status": 200, "headers": {}, "body": {"ok": true, "...": "..."}},
     "expect": {"grant": {"refresh_token": true}},
     "fake": {"given": "healthy"}}
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PLATFORMS_DIR = Path(__file__).resolve().parent.parent

# What a fixture may expect of the adapter. Each names one way to read an answer.
EXPECT_KEYS = frozenset(
    {"grant", "identity", "situation", "audience", "transient", "sent", "found", "error", "value"}
    # How check_platforms reads the answer (platforms/<p>/appcheck.py; platforms/tests/
    # test_appcheck.py replays these and holds the fakes to them).
    | {"appcheck"}
)
REQUIRED_KEYS = ("source", "summary", "request", "response", "expect", "fake")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class CorpusError(ValueError):
    """A fixture file that does not say what the corpus needs (the suite fails on it)."""


@dataclass(frozen=True)
class Wire:
    """One exchange with a real platform, as its source documents it."""

    platform: str
    endpoint: str
    name: str
    path: Path
    source: str
    summary: str
    request: dict[str, Any]
    response: dict[str, Any]
    expect: dict[str, Any]
    fake: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.endpoint}/{self.name}"

    @property
    def status(self) -> int:
        return int(self.response["status"])

    @property
    def body(self) -> Any:
        return self.response.get("body")

    @property
    def body_text(self) -> str:
        body = self.body
        return body if isinstance(body, str) else json.dumps(body)

    @property
    def headers(self) -> dict[str, str]:
        return {k: str(v) for k, v in (self.response.get("headers") or {}).items()}

    @property
    def is_failure(self) -> bool:
        """Does this exchange show the platform refusing or failing (not a success)?"""
        return bool(
            self.expect.get("situation")
            or self.expect.get("transient")
            or self.expect.get("error")
            or self.expect.get("sent") is False
            or (self.expect.get("appcheck") or {}).get("ok") is False
        )

    @property
    def is_appcheck(self) -> bool:
        """An exchange of the operator's app-credential checks, not of a person's token."""
        return "appcheck" in self.expect

    @property
    def fake_skip(self) -> str:
        return str(self.fake.get("skip") or "")


def _load_file(platform: str, endpoint: str, path: Path) -> Wire:
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise CorpusError(f"{path}: not JSON ({err})") from None
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise CorpusError(f"{path}: missing {', '.join(missing)}")
    if not str(data["source"]).strip():
        raise CorpusError(f"{path}: an empty source (cite the vendor page or the SDK file)")
    unknown = set(data["expect"]) - EXPECT_KEYS
    if unknown:
        raise CorpusError(f"{path}: unknown expect keys {sorted(unknown)}")
    if not ({"given", "skip"} & set(data["fake"])):
        raise CorpusError(f"{path}: fake needs 'given' (a sandbox state) or 'skip' (why not)")
    for key in ("method", "url"):
        if key not in data["request"]:
            raise CorpusError(f"{path}: request needs {key!r}")
    if "status" not in data["response"]:
        raise CorpusError(f"{path}: response needs 'status'")
    extra = {k: v for k, v in data.items() if k not in REQUIRED_KEYS}
    return Wire(
        platform=platform,
        endpoint=endpoint,
        name=path.stem,
        path=path,
        source=data["source"],
        summary=data["summary"],
        request=data["request"],
        response=data["response"],
        expect=data["expect"],
        fake=data["fake"],
        extra=extra,
    )


@functools.cache
def load(platform: str) -> tuple[Wire, ...]:
    """Every fixture of ``platform``, sorted by endpoint and name."""
    root = PLATFORMS_DIR / platform / "fixtures"
    if not root.is_dir():
        return ()
    wires = [_load_file(platform, path.parent.name, path) for path in sorted(root.glob("*/*.json"))]
    return tuple(wires)


def by_endpoint(platform: str) -> dict[str, list[Wire]]:
    grouped: dict[str, list[Wire]] = {}
    for wire in load(platform):
        grouped.setdefault(wire.endpoint, []).append(wire)
    return grouped


# --- filling a request ---------------------------------------------------------------------
def fill(value: Any, context: dict[str, str]) -> Any:
    """Replace ``{name}`` placeholders anywhere in ``value`` with the context's values."""
    if isinstance(value, str):

        def swap(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in context:
                raise CorpusError(f"no value for the placeholder {{{name}}}")
            return context[name]

        return _PLACEHOLDER.sub(swap, value)
    if isinstance(value, dict):
        return {fill(k, context): fill(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, context) for v in value]
    return value


def request_kwargs(wire: Wire, context: dict[str, str]) -> dict[str, Any]:
    """``requests.Session.request`` arguments for the fixture's request, placeholders filled."""
    req = fill(wire.request, context)
    kwargs: dict[str, Any] = {
        "method": req["method"],
        "url": req["url"],
        "headers": req.get("headers") or {},
    }
    if "form" in req:
        kwargs["data"] = req["form"]
    if "json" in req:
        kwargs["json"] = req["json"]
    if "query" in req:
        kwargs["params"] = req["query"]
    if "raw" in req:
        kwargs["data"] = req["raw"].encode()
    return kwargs


# --- comparing structure -------------------------------------------------------------------
def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shape_differences(real: Any, fake: Any, *, ignore: frozenset[str] = frozenset()) -> list[str]:
    """Where ``fake`` differs from ``real`` in structure: keys, types and nesting, not values.

    Lists compare their first elements (an empty list on either side matches any list).
    ``ignore`` holds dotted paths (``authed_user.scope``; ``[]`` stands for a list element)
    whose presence may differ: optional fields one side happens to leave out.
    """
    out: list[str] = []
    _diff(real, fake, "", ignore, out)
    return out


def _diff(real: Any, fake: Any, path: str, ignore: frozenset[str], out: list[str]) -> None:
    where = path or "(body)"
    if _kind(real) != _kind(fake):
        out.append(f"{where}: the platform sends {_kind(real)}, the fake {_kind(fake)}")
        return
    if isinstance(real, dict):
        for key in sorted(set(real) | set(fake)):
            sub = f"{path}.{key}" if path else key
            if key not in fake:
                if sub not in ignore:
                    out.append(f"{sub}: the platform sends it, the fake does not")
            elif key not in real:
                if sub not in ignore:
                    out.append(f"{sub}: the fake sends it, the platform does not")
            else:
                _diff(real[key], fake[key], sub, ignore, out)
    elif isinstance(real, list) and real and fake:
        _diff(real[0], fake[0], f"{path}[]", ignore, out)


def parse_body(text: str) -> Any:
    """JSON when it is JSON; otherwise the text itself (compared as a string)."""
    try:
        return json.loads(text)
    except ValueError:
        return text
