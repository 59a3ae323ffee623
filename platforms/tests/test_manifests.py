"""The Slack app manifest and the Teams app package validate against the platforms' schemas,
and say exactly what Mio uses (its URLs from SITE_URL, its scopes, its events)."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import jsonschema
from django.core.management import call_command

from platforms.schemas import app_manifest_schema
from platforms.slack.manifest import manifest as slack_manifest
from platforms.slack.oauth import BOT_SCOPES, USER_SCOPES
from platforms.teams.manifest import manifest as teams_manifest
from platforms.teams.manifest import package

SITE = "https://heal.example.com"
BOT = "8f0c5a8e-3c1f-4d3a-9b0e-2a7d5c4b1e90"


def _errors(platform: str, document: dict) -> list[str]:
    schema = app_manifest_schema(platform)
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_it_generates_a_slack_manifest_valid_against_slacks_schema():
    assert _errors("slack", slack_manifest(SITE)) == []


def test_it_puts_mios_urls_scopes_events_and_rotation_in_the_slack_manifest():
    found = slack_manifest(SITE + "/")
    assert found["oauth_config"]["redirect_urls"] == [
        f"{SITE}/resync/callback/",
        f"{SITE}/install/slack/callback/",
    ]
    assert found["oauth_config"]["scopes"] == {"user": USER_SCOPES, "bot": BOT_SCOPES}
    events = found["settings"]["event_subscriptions"]
    assert events["request_url"] == f"{SITE}/hooks/slack/events/"
    assert set(events["bot_events"]) == {"app_uninstalled", "tokens_revoked", "user_change"}
    assert found["settings"]["token_rotation_enabled"] is True


def test_it_catches_a_manifest_the_schema_refuses():
    broken = slack_manifest(SITE)
    broken["features"]["bot_user"]["display_name"] = "Mio Auto Heal"  # spaces are not allowed
    assert _errors("slack", broken)


def test_it_generates_a_teams_manifest_valid_against_microsofts_schema():
    assert _errors("teams", teams_manifest(SITE, BOT)) == []


def test_it_packages_the_teams_app_with_its_bot_domain_and_icons():
    archive = zipfile.ZipFile(io.BytesIO(package(SITE, BOT)))
    assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
    found = json.loads(archive.read("manifest.json"))
    assert _errors("teams", found) == []
    assert found["bots"][0]["botId"] == BOT
    assert found["validDomains"] == ["heal.example.com"]
    assert found["id"] == teams_manifest(SITE, BOT)["id"]  # the same app when built again
    for name, size in (("color.png", 192), ("outline.png", 32)):
        png = archive.read(name)
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert struct.unpack(">II", png[16:24]) == (size, size)


def test_it_prints_what_to_register_and_writes_both_files(settings, tmp_path: Path):
    settings.SITE_URL = SITE
    settings.PLATFORM_APPS = {
        **settings.PLATFORM_APPS,
        "teams": {**settings.PLATFORM_APPS["teams"], "bot_app_id": BOT},
    }
    out = io.StringIO()
    call_command(
        "platform_setup",
        "--slack-manifest",
        tmp_path / "slack.json",
        "--teams-package",
        tmp_path / "teams.zip",
        stdout=out,
    )
    printed = out.getvalue()
    for expected in (
        f"{SITE}/resync/callback/",
        f"{SITE}/accounts/microsoft/login/callback/",
        f"{SITE}/hooks/zoom/events/",
        f"{SITE}/hooks/graph/lifecycle/",
        "spark:people_read",
        "app_deauthorized",
        "User.Read",
    ):
        assert expected in printed
    assert _errors("slack", json.loads((tmp_path / "slack.json").read_text())) == []
    assert zipfile.is_zipfile(tmp_path / "teams.zip")
