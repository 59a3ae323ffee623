"""check_platforms' credential checks against the sandbox: each way a credential can be wrong.

The sandbox keeps the right credentials (the platform's side); the check is handed the wrong
value (the operator's side), exactly as a mistyped or rotated secret looks in production.
Every fixture with an ``appcheck`` expectation is also replayed through the control API's
``script`` call, so the real platforms' answers are read the same way as the fakes'.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.core.management import call_command

from platforms.appcheck import Finding, check_function, run
from platforms.sandbox.registry import get_fake
from tests.factories import make_installation, make_person, make_tenant

ROOT = Path(__file__).resolve().parents[2]
TEAMS_TENANT = "6b1f7c57-4c8e-4a9b-9d1e-2f3a4b5c6d7e"
# Which finding a fixture's endpoint speaks to.
ITEM = {
    ("slack", "token"): "App credentials",
    ("slack", "probe"): "Bot token",
    ("teams", "app_token"): "Entra app",
    ("zoom", "bot_token"): "App credentials",
    ("webex", "bot_probe"): "Bot token",
}


@pytest.fixture
def installed(sandbox) -> dict[str, Any]:
    """One tenant with the app installed on every platform (bot tokens minted by the fakes)."""
    tenant = make_tenant("acme")
    make_person(tenant)
    slack = get_fake("slack").provision_bot("T0ACME01")
    slack_install = make_installation(tenant, "slack", slack["bot_token"])
    slack_install.workspace_id = "T0ACME01"
    slack_install.save()
    teams = make_installation(tenant, "teams")
    teams.workspace_id = TEAMS_TENANT
    teams.save()
    webex = get_fake("webex").provision_bot("org-acme")
    make_installation(tenant, "webex", webex["bot_token"])
    return {"sandbox": sandbox, "tenant": tenant, "slack_bot": slack["bot_token"]}


def _check(platform: str, **override: str) -> list[Finding]:
    return check_function(platform)({**settings.PLATFORM_APPS[platform], **override})


def _one(findings: list[Finding], starts: str) -> Finding:
    matching = [f for f in findings if f.item.startswith(starts)]
    assert len(matching) == 1, findings
    return matching[0]


def test_it_finds_every_configured_platform_working(installed):
    findings = run()
    broken = [f for f in findings if not f.ok]
    assert broken == []
    items = {(f.platform, f.item.split(" ")[0]) for f in findings if not f.skipped}
    assert {("slack", "App"), ("slack", "Bot"), ("teams", "Entra"), ("teams", "Azure")} <= items
    assert {("zoom", "App"), ("webex", "Bot")} <= items


@pytest.mark.parametrize(
    ("platform", "override", "item", "says"),
    [
        ("slack", {"client_id": "9999.0000"}, "App credentials", "SLACK_CLIENT_ID is not"),
        ("slack", {"client_secret": "nope"}, "App credentials", "SLACK_CLIENT_SECRET does not"),
        ("slack", {"client_secret": ""}, "App credentials", "Not set: SLACK_CLIENT_SECRET"),
        ("slack", {"signing_secret": ""}, "Events signing secret", "SLACK_SIGNING_SECRET"),
        ("teams", {"client_secret": "nope"}, "Entra app", "MICROSOFT_CLIENT_SECRET is not a valid"),
        (
            "teams",
            {"client_id": "11111111-2222-4333-8444-555555555555"},
            "Entra app",
            "MICROSOFT_CLIENT_ID is not an application",
        ),
        ("teams", {"bot_app_secret": "nope"}, "Azure Bot", "TEAMS_BOT_APP_SECRET is not a valid"),
        (
            "teams",
            {"bot_app_id": "22222222-2222-4333-8444-555555555555"},
            "Azure Bot",
            "TEAMS_BOT_APP_ID is not an application",
        ),
        ("teams", {"graph_client_state": ""}, "Graph notifications", "GRAPH_CLIENT_STATE"),
        ("zoom", {"client_secret": "nope"}, "App credentials", "ZOOM_CLIENT_SECRET is wrong"),
        ("zoom", {"client_id": "someoneelse"}, "App credentials", "ZOOM_CLIENT_ID or"),
        ("zoom", {"webhook_secret": ""}, "Event secret", "ZOOM_WEBHOOK_SECRET"),
        ("webex", {"bot_token": "not-a-webex-token"}, "Bot token (WEBEX", "does not accept"),
        ("webex", {"client_secret": ""}, "Integration", "WEBEX_CLIENT_SECRET"),
    ],
)
def test_it_says_which_credential_is_wrong_and_where_to_fix_it(
    installed, platform, override, item, says
):
    finding = _one(_check(platform, **override), item)
    assert not finding.ok
    assert says in finding.problem
    assert finding.fix  # always says where to fix it
    for value in override.values():
        if value and len(value) > 4:
            assert value not in finding.problem + finding.fix  # no secrets echoed back


def test_it_reports_a_revoked_slack_bot_token_as_an_uninstalled_app(installed):
    sandbox = installed["sandbox"]
    user = get_fake("slack").provision("someone@acme.example", workspace_id="T0ACME01")[0]
    sandbox.situation("slack", user.email, "app_uninstalled")
    finding = _one(_check("slack"), "Bot token of workspace T0ACME01")
    assert not finding.ok
    assert "uninstalled" in finding.problem
    assert "Add to Slack" in finding.fix


def test_it_refuses_a_persons_token_as_the_webex_bot(installed):
    _, grant = get_fake("webex").provision("ann@acme.example")
    finding = _one(_check("webex", bot_token=grant["access_token"]), "Bot token (WEBEX")
    assert not finding.ok
    assert "not a bot's" in finding.problem


def test_it_says_nothing_was_verified_when_the_platform_is_down(installed):
    installed["sandbox"].script(
        "zoom", "bot_token", status=503, body={"error": "unavailable"}, times=1
    )
    finding = _one(_check("zoom"), "App credentials")
    assert not finding.ok
    assert "nothing was verified" in finding.problem


def test_it_skips_a_platform_that_is_not_configured(installed):
    findings = _check("zoom", client_id="")
    assert [(f.skipped, f.ok) for f in findings] == [(True, True)]


def _fixtures() -> list[Path]:
    return sorted(
        path
        for path in ROOT.glob("platforms/*/fixtures/*/*.json")
        if "appcheck" in json.loads(path.read_text()).get("expect", {})
    )


@pytest.mark.parametrize("path", _fixtures(), ids=lambda p: "/".join(p.parts[-4:]))
def test_it_reads_the_real_platforms_answers_as_its_fixtures_say(installed, path):
    case = json.loads(path.read_text())
    platform, endpoint = path.parts[-4], path.parts[-2]
    response = case["response"]
    installed["sandbox"].script(
        platform,
        endpoint,
        status=response["status"],
        headers=response.get("headers") or {},
        body=response["body"],
        times=1,
    )
    finding = _one(_check(platform), ITEM[(platform, endpoint)])
    expect = case["expect"]["appcheck"]
    assert finding.ok is expect["ok"], finding
    assert expect.get("problem_contains", "") in finding.problem


def _fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key, real in values.items():
            value = value.replace("{" + key + "}", real)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    return value


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


@pytest.mark.parametrize(
    "path",
    [p for p in _fixtures() if "given" in json.loads(p.read_text())["fake"]],
    ids=lambda p: "/".join(p.parts[-4:]),
)
def test_it_gets_the_same_answer_from_the_fake_as_its_fixtures_record(installed, path):
    case = json.loads(path.read_text())
    platform = path.parts[-4]
    app = settings.PLATFORM_APPS[platform]
    values = {
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "workspace_id": TEAMS_TENANT,
        "bot_token": installed["slack_bot"]
        if platform == "slack"
        else get_fake(platform).provision_bot("org-acme").get("bot_token", ""),
    }
    req = _fill(case["request"], values)
    headers = dict(req.get("headers") or {})
    auth = headers.get("Authorization", "")
    if auth.startswith("Basic ") and ":" in auth:  # the fixture shows id:secret, HTTP encodes it
        headers["Authorization"] = "Basic " + base64.b64encode(auth[6:].encode()).decode()
    base = f"{installed['sandbox'].base.rsplit('/api', 1)[0]}/{platform}"
    url = req["url"]
    for name, real in (
        __import__("platforms.http", fromlist=["REAL_BASES"]).REAL_BASES[platform].items()
    ):
        url = url.replace(real, f"{base}/{name}")
    answer = requests.request(
        req["method"],
        url,
        headers=headers,
        data=req.get("form"),
        json=req.get("json"),
        params=req.get("query"),
        timeout=30,
    )
    assert answer.status_code == case["response"]["status"], answer.text
    got, want = answer.json(), case["response"]["body"]
    assert set(got) >= set(want) if isinstance(want, dict) else True
    assert {k: _shape(got[k]) for k in want} == _shape(want)


def test_it_prints_each_finding_and_exits_non_zero_when_one_is_broken(installed, settings):
    import io

    out = io.StringIO()
    call_command("check_platforms", stdout=out)
    assert "All configured platform apps work" in out.getvalue()
    settings.PLATFORM_APPS = {
        **settings.PLATFORM_APPS,
        "zoom": {**settings.PLATFORM_APPS["zoom"], "webhook_secret": ""},
    }
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("check_platforms", "--platform", "zoom", stdout=out)
    assert exit_.value.code == 1
    assert "ZOOM_WEBHOOK_SECRET" in out.getvalue()
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("check_platforms", "--platform", "zoom", "--json", stdout=out)
    rows = json.loads(out.getvalue())
    assert any(not row["ok"] and "ZOOM_WEBHOOK_SECRET" in row["problem"] for row in rows)
