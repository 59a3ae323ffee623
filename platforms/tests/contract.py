"""The platform contract: every adapter runs this same suite against its sandbox fake.

A platform's test module subclasses ``PlatformContract``, names its ``platform``, lists the raw
failure bodies it must classify (``scripted_cases``) and says how to validate its native
message payload. A fifth platform gets the whole suite by doing the same.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.conf import settings
from django.utils import timezone

from notifications.recovery import CannotAskNow, ask_platform
from platforms import grants
from platforms.base import Identity, PlatformAdapter, SendResult, TokenGrant
from platforms.errors import PlatformError
from platforms.http import session_for
from platforms.messages import Action, Message
from platforms.registry import get_adapter
from platforms.sandbox.registry import get_fake
from platforms.tests import corpus
from tests.factories import make_person, make_tenant
from tokens.models import Credential, Installation, PlatformAccount
from tokens.provisioning import attach_account, grant_from_dict
from tokens.secret import reveal
from tokens.situations import Situation, audience_key

# What the check reads back for a situation set in the sandbox, when it is not the situation
# itself: an expired access token is healed silently, so the account reads healthy.
HEALED_SILENTLY = {Situation.ACCESS_TOKEN_EXPIRED.value}


@dataclass
class Exercised:
    """What the adapter made of one answer: a value (grant, identity, delivery…) or an error."""

    value: Any = None
    error: PlatformError | None = None


@dataclass(frozen=True)
class ScriptCase:
    """A raw response replayed on ``endpoint`` and the situation it must classify as."""

    id: str
    endpoint: str
    status: int
    body: Any
    expected: str
    headers: dict[str, str] = field(default_factory=dict)


SAMPLE = Message(
    title="Your Slack connection needs you",
    text="Mio can no longer relay your messages. Re-sync in two clicks.",
    facts=[("Platform", "Slack"), ("Since", "2026-11-27 08:55 UTC")],
    actions=[Action("Re-sync your account", "https://heal.example.com/r/abc")],
    tone="warning",
    idempotency_key="contract-sample-1",
)


class PlatformContract:
    platform: ClassVar[str]
    scripted_cases: ClassVar[list[ScriptCase]] = []
    # An adapter that can look a sent message up (``find_sent``, see ``platforms.base``) says
    # so here, and names the sandbox endpoint its lookup calls (scripted to fail below).
    supports_lookup: ClassVar[bool] = False
    lookup_endpoint: ClassVar[str] = ""
    # Fake endpoints a person's browser visits (HTML consent pages), not the adapter's API calls.
    browser_endpoints: ClassVar[frozenset[str]] = frozenset({"authorize"})

    # --- per platform ------------------------------------------------------------------------
    def validate_payload(self, payload: dict[str, Any]) -> None:
        """Assert that a delivered payload is valid for the platform (schema, Block Kit…)."""
        raise NotImplementedError

    # --- fixtures ----------------------------------------------------------------------------
    @pytest.fixture
    def adapter(self) -> PlatformAdapter:
        return get_adapter(self.platform)

    @pytest.fixture
    def account(self, sandbox) -> PlatformAccount:
        tenant = make_tenant(primary_platform=self.platform)
        person = make_person(tenant, email=f"ada@{tenant.slug}.example", name="Ada Lovelace")
        data = sandbox.provision(self.platform, person.email, person.name)
        account = attach_account(person, self.platform, grant_from_dict(data["grant"]))
        bot = get_fake(self.platform).provision_bot(account.workspace_id)
        credential = Credential.objects.create(
            tenant=tenant,
            platform=self.platform,
            kind=Credential.Kind.BOT,
            access_token=bot.get("bot_token") or None,
        )
        Installation.objects.create(
            tenant=tenant,
            platform=self.platform,
            workspace_id=account.workspace_id,
            bot_user_id=bot.get("bot_user_id", ""),
            service_url=bot.get("service_url", ""),
            credential=credential,
        )
        return account

    def credential(self, account: PlatformAccount) -> Credential:
        return Credential.objects.get(pk=account.credential_id)

    # --- the contract ------------------------------------------------------------------------
    def test_it_reads_a_healthy_account(self, sandbox, adapter, account) -> None:
        outcome = adapter.check(self.credential(account))
        assert outcome.healthy, outcome.evidence
        assert outcome.identity is not None
        assert outcome.identity.upstream_user_id == account.upstream_user_id

    def test_it_reads_back_each_situation_the_platform_can_produce(
        self, sandbox, adapter, account, situation
    ) -> None:
        sandbox.situation(self.platform, account.person.email, situation)
        outcome = adapter.check(self.credential(account))
        if situation in HEALED_SILENTLY:
            assert outcome.healthy, outcome.evidence
            assert outcome.refreshed
        else:
            assert outcome.situation == situation, outcome.evidence
            assert outcome.evidence is not None
            assert outcome.evidence.platform == self.platform
            assert outcome.evidence.error or outcome.evidence.http_status

    def test_it_is_healthy_again_once_the_situation_heals(self, sandbox, adapter, account) -> None:
        situation = sorted(get_fake(self.platform).situations - {"transient", *HEALED_SILENTLY})[0]
        sandbox.situation(self.platform, account.person.email, situation)
        assert not adapter.check(self.credential(account)).healthy
        sandbox.situation(self.platform, account.person.email, None)
        assert adapter.check(self.credential(account)).healthy

    def test_it_classifies_raw_scripted_failures(
        self, sandbox, adapter, account, scripted_case
    ) -> None:
        case: ScriptCase = scripted_case
        if case.endpoint == "token":
            self._expire_access_token(account)
        sandbox.script(
            self.platform,
            case.endpoint,
            user=account.person.email,
            status=case.status,
            body=case.body if isinstance(case.body, str) else json.dumps(case.body),
            headers=case.headers,
        )
        outcome = adapter.check(self.credential(account))
        assert outcome.situation == case.expected, outcome.evidence

    def test_it_refreshes_an_expired_access_token_silently(self, sandbox, adapter, account) -> None:
        before = self._expire_access_token(account)
        outcome = adapter.check(self.credential(account))
        assert outcome.healthy, outcome.evidence
        assert outcome.refreshed
        after = self.credential(account)
        assert after.access_token != before.access_token
        assert after.expires_at > timezone.now()

    def test_it_stores_a_rotated_refresh_token_at_once(self, sandbox, adapter, account) -> None:
        before = self._expire_access_token(account)
        assert adapter.check(self.credential(account)).healthy
        after = self.credential(account)
        if adapter.rotating_refresh_tokens:
            assert after.refresh_token != before.refresh_token
            # The old one is spent: the stored one is the only one that works now.
            self._expire_access_token(account)
            assert adapter.check(self.credential(account)).healthy
        assert after.refresh_token is not None

    def test_it_treats_429_with_retry_after_as_transient(self, sandbox, adapter, account) -> None:
        sandbox.script(
            self.platform,
            "probe",
            user=account.person.email,
            status=429,
            headers={"Retry-After": "7"},
            body=json.dumps({"error": "ratelimited"}),
        )
        outcome = adapter.check(self.credential(account))
        assert outcome.transient, outcome.evidence
        assert outcome.evidence.retry_after == 7

    @pytest.mark.parametrize("status", [500, 502, 503])
    def test_it_treats_5xx_as_transient(self, sandbox, adapter, account, status) -> None:
        sandbox.script(self.platform, "probe", user=account.person.email, status=status, body="{}")
        assert adapter.check(self.credential(account)).transient

    def test_it_treats_a_timeout_as_transient(self, sandbox, adapter, account, settings) -> None:
        settings.PLATFORM_HTTP_TIMEOUT = 0.3
        sandbox.faults(self.platform, latency_ms=900)
        outcome = adapter.check(self.credential(account))
        assert outcome.transient, outcome.evidence

    def test_it_sends_a_valid_native_message(self, sandbox, adapter, account) -> None:
        installation = Installation.objects.get(
            tenant=account.person.tenant, platform=self.platform
        )
        adapter.send(installation, account, SAMPLE)
        delivered = sandbox.inbox(self.platform, account.person.email)
        assert len(delivered) == 1
        payload = json.loads(delivered[0]["payload"])
        self.validate_payload(payload)
        assert SAMPLE.title in delivered[0]["payload"]
        assert SAMPLE.actions[0].url in delivered[0]["payload"]

    def test_it_renders_a_valid_payload_for_every_tone(self, adapter) -> None:
        for tone in ("info", "warning", "success"):
            message = Message(
                title="T", text="Body", tone=tone, actions=[Action("Go", "https://x.example/")]
            )
            self.validate_payload(adapter.render(message))

    def test_it_runs_the_oauth_flow_and_names_the_upstream_user(
        self, sandbox, adapter, account
    ) -> None:
        redirect_uri = f"{sandbox.base.rsplit('/sandbox', 1)[0]}/resync/callback/"
        start = adapter.begin_oauth(redirect_uri=redirect_uri, login_hint=account.person.email)
        params = self._consent(start.url, allow=True)
        grant = adapter.finish_oauth(start.flow, params, redirect_uri=redirect_uri)
        assert grant.upstream_user_id == account.upstream_user_id
        assert grant.access_token

    def test_it_refuses_an_oauth_answer_with_a_wrong_state(self, sandbox, adapter, account) -> None:
        redirect_uri = f"{sandbox.base.rsplit('/sandbox', 1)[0]}/resync/callback/"
        start = adapter.begin_oauth(redirect_uri=redirect_uri, login_hint=account.person.email)
        params = self._consent(start.url, allow=True)
        params["state"] = "forged-" + params.get("state", "")
        with pytest.raises(ValueError, match="state"):
            adapter.finish_oauth(start.flow, params, redirect_uri=redirect_uri)

    # --- optional: looking a sent message up --------------------------------------------------
    def test_it_declares_whether_it_can_look_a_sent_message_up(self, adapter) -> None:
        assert callable(getattr(adapter, "find_sent", None)) == self.supports_lookup
        if self.supports_lookup:
            assert self.lookup_endpoint in get_fake(self.platform).endpoints

    def test_it_finds_a_sent_message_by_its_key_and_no_other(
        self, sandbox, adapter, account
    ) -> None:
        self._needs_lookup()
        installation = self._installation(account)
        key = SAMPLE.idempotency_key
        assert ask_platform(adapter, installation, account, key) is False  # nothing sent yet
        adapter.send(installation, account, SAMPLE)
        assert ask_platform(adapter, installation, account, key) is True
        # Keys are matched whole: a shorter or a longer one is another message.
        assert ask_platform(adapter, installation, account, key[:-1]) is False
        assert ask_platform(adapter, installation, account, key + "0") is False
        assert ask_platform(adapter, installation, account, "contract-never-sent") is False

    def test_it_reports_a_lookup_it_cannot_make_now(self, sandbox, adapter, account) -> None:
        self._needs_lookup()
        installation = self._installation(account)
        adapter.send(installation, account, SAMPLE)
        sandbox.script(
            self.platform,
            self.lookup_endpoint,
            user=account.person.email,
            status=503,
            headers={"Retry-After": "5"},
            body="{}",
        )
        with pytest.raises(CannotAskNow):
            ask_platform(adapter, installation, account, SAMPLE.idempotency_key)
        # The platform answers again: the message is there after all.
        assert ask_platform(adapter, installation, account, SAMPLE.idempotency_key) is True

    def test_it_cannot_tell_once_its_bot_is_refused(self, sandbox, adapter, account) -> None:
        self._needs_lookup()
        installation = self._installation(account)
        adapter.send(installation, account, SAMPLE)
        Credential.objects.filter(pk=installation.credential_id).update(
            access_token="not-a-token-the-platform-issued"
        )
        installation = self._installation(account)
        assert ask_platform(adapter, installation, account, SAMPLE.idempotency_key) is None

    # --- the wire-shape corpus (platforms/<platform>/fixtures/, see platforms.tests.corpus) ----
    def test_it_has_a_cited_success_and_failure_fixture_for_every_endpoint(self) -> None:
        served = set(get_fake(self.platform).endpoints) - self.browser_endpoints
        grouped = corpus.by_endpoint(self.platform)
        problems = [f"{name}: the fake serves no such endpoint" for name in set(grouped) - served]
        for endpoint in sorted(served):
            wires = grouped.get(endpoint, [])
            if not any(not wire.is_failure for wire in wires):
                problems.append(f"{endpoint}: no fixture of a success")
            if not any(wire.is_failure for wire in wires):
                problems.append(f"{endpoint}: no fixture of a failure")
        assert not problems, f"{self.platform} corpus: " + "; ".join(sorted(problems))

    def test_it_reads_every_fixture_as_the_platform_means_it(
        self, sandbox, adapter, account, wire
    ) -> None:
        sandbox.script(
            self.platform,
            wire.endpoint,
            status=wire.status,
            headers=wire.headers,
            body=wire.body_text,
        )
        got = self.exercise(wire, adapter, account)
        self.assert_expected(wire, got)

    def test_its_fake_answers_every_fixture_in_the_platforms_shape(
        self, sandbox, account, wire
    ) -> None:
        if wire.fake_skip:
            pytest.skip(f"{wire.id}: {wire.fake_skip}")
        context = self.wire_context(account)
        self.prepare_fake(wire.fake["given"], sandbox, account, context)
        http = session_for(self.platform)
        answer = http.request(**corpus.request_kwargs(wire, context), timeout=30)
        assert answer.status_code == wire.status, (
            f"{wire.id}: the platform answers {wire.status}, the fake {answer.status_code}: "
            f"{answer.text[:300]}"
        )
        ignore = frozenset(wire.fake.get("ignore", []))
        differences = corpus.shape_differences(
            wire.body, corpus.parse_body(answer.text), ignore=ignore
        )
        assert not differences, f"{wire.id} ({wire.source}): " + "; ".join(differences)

    # How each endpoint is called, per fixture; a platform adds ``exercise_<endpoint>`` for the
    # endpoints beyond the token, probe and send calls every platform has.
    def exercise(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Exercised:
        hook = getattr(self, f"exercise_{wire.endpoint}", None)
        if hook is None:
            pytest.fail(f"{self.platform}: no exercise_{wire.endpoint} for {wire.id}")
        try:
            return Exercised(value=hook(wire, adapter, account))
        except PlatformError as err:
            return Exercised(error=err)

    def exercise_token(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        credential = self.credential(account)
        return adapter.redeem_refresh_token(credential, reveal(credential.refresh_token) or "")

    def exercise_probe(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        credential = self.credential(account)
        return adapter.probe(credential, reveal(credential.access_token) or "")

    def exercise_send(self, wire: corpus.Wire, adapter: PlatformAdapter, account) -> Any:
        return adapter.send(self._installation(account), account, SAMPLE)

    def assert_expected(self, wire: corpus.Wire, got: Exercised) -> None:
        expect = wire.expect
        where = f"{wire.id} ({wire.summary})"
        if expect.get("situation") or expect.get("transient") or expect.get("error"):
            assert got.error is not None, f"{where}: read as a success ({got.value!r})"
            want = "transient" if expect.get("transient") else expect.get("situation")
            if want:
                assert got.error.situation.value == want, f"{where}: {got.error.evidence}"
            if "audience" in expect:
                assert audience_key(got.error.situation.value) == expect["audience"], where
            if expect.get("error"):
                assert got.error.evidence.error == expect["error"], f"{where}: {got.error.evidence}"
            return
        assert got.error is None, f"{where}: read as {got.error.situation}: {got.error.evidence}"
        if "grant" in expect:
            assert isinstance(got.value, TokenGrant), where
            _assert_fields(got.value, expect["grant"], where)
        if "identity" in expect:
            assert isinstance(got.value, Identity), where
            _assert_fields(got.value, expect["identity"], where)
        if "sent" in expect:
            assert isinstance(got.value, SendResult), where
        if "found" in expect:
            assert got.value == expect["found"], where
        if "value" in expect:
            if isinstance(expect["value"], dict):
                _assert_fields(got.value, expect["value"], where)
            else:
                assert got.value == expect["value"], f"{where}: {got.value!r}"

    def wire_context(self, account: PlatformAccount) -> dict[str, str]:
        """Values for a fixture's placeholders, from a freshly provisioned account."""
        credential = self.credential(account)
        installation = self._installation(account)
        bot = installation.credential
        app = settings.PLATFORM_APPS[self.platform]
        return {
            "access_token": reveal(credential.access_token) or "",
            "refresh_token": reveal(credential.refresh_token) or "",
            "bot_token": (reveal(bot.access_token) if bot is not None else "") or "",
            "user_id": account.upstream_user_id,
            "workspace_id": account.workspace_id,
            "email": account.person.email,
            "client_id": str(app.get("client_id", "")),
            "client_secret": str(app.get("client_secret", "")),
        }

    def prepare_fake(self, given: str, sandbox, account: PlatformAccount, context) -> None:
        """Put the fake in the state a fixture was taken in (a situation, or a platform hook)."""
        if given == "healthy":
            return
        if given in get_fake(self.platform).situations:
            sandbox.situation(self.platform, account.person.email, given)
            return
        hook = getattr(self, f"given_{given}", None)
        if hook is None:
            pytest.fail(f"{self.platform}: no given_{given} to prepare the fake")
        hook(sandbox, account, context)

    # A fixture of the authorization-code exchange (sign-in, re-sync) is taken with a code the
    # fake issued on its consent page, or one already redeemed once.
    def given_code_issued(self, sandbox, account: PlatformAccount, context) -> None:
        flow, params, redirect_uri = self._signed_in(get_adapter(self.platform), account)
        context.update(
            code=params["code"], redirect_uri=redirect_uri, code_verifier=flow["code_verifier"]
        )

    def given_code_redeemed(self, sandbox, account: PlatformAccount, context) -> None:
        adapter = get_adapter(self.platform)
        flow, params, redirect_uri = self._signed_in(adapter, account)
        adapter.finish_oauth(flow, params, redirect_uri=redirect_uri)  # the code is spent
        context.update(
            code=params["code"], redirect_uri=redirect_uri, code_verifier=flow["code_verifier"]
        )

    def _signed_in(
        self, adapter: PlatformAdapter, account: PlatformAccount
    ) -> tuple[dict[str, Any], dict[str, str], str]:
        redirect_uri = f"{settings.SITE_URL}/resync/callback/"
        start = adapter.begin_oauth(redirect_uri=redirect_uri, login_hint=account.person.email)
        return start.flow, self._consent(start.url, allow=True), redirect_uri

    # --- helpers ------------------------------------------------------------------------------
    def _needs_lookup(self) -> None:
        if not self.supports_lookup:
            pytest.skip(f"{self.platform} cannot look a sent message up (no find_sent)")

    def _installation(self, account: PlatformAccount) -> Installation:
        return Installation.objects.select_related("credential").get(
            tenant=account.person.tenant, platform=self.platform
        )

    def _expire_access_token(self, account: PlatformAccount) -> Credential:
        credential = self.credential(account)
        Credential.objects.filter(pk=credential.pk).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
        # The sandbox expires it too, so the platform really refuses the old access token.
        from platforms.sandbox import core

        core.expire_access_tokens(self.platform, account.person.email)
        return credential

    def _consent(self, authorize_url: str, *, allow: bool) -> dict[str, str]:
        """Play the browser on the sandbox's consent page; return the redirect's query params."""
        http = requests.Session()
        http.trust_env = False
        page = http.get(authorize_url, timeout=30, allow_redirects=False)
        assert page.status_code == 200, page.text[:500]
        answer = http.post(
            page.url,
            data={"decision": "allow" if allow else "deny", **_hidden_fields(page.text)},
            timeout=30,
            allow_redirects=False,
        )
        assert answer.status_code in (302, 303), answer.text[:500]
        return {k: v[0] for k, v in parse_qs(urlparse(answer.headers["Location"]).query).items()}

    # --- a refresh the platform honoured is never lost (issue 12, finding 2) ------------------
    # The sandbox really redeems the refresh token (rotating platforms void the old one), then
    # the adapter's own refresh receives that answer cut off, as a dropped connection or a
    # proxy would deliver it (the sandbox's ``script`` call). See ``tokens.redemption``.
    def test_it_keeps_the_grant_of_a_refresh_answer_cut_off_after_its_refresh_token(
        self, sandbox, adapter, account
    ) -> None:
        before = self._expire_access_token(account)
        answer = self.real_refresh_answer(adapter, account)
        sandbox.script(self.platform, "token", status=200, body=_cut_after_refresh_token(answer))
        outcome = adapter.check(self.credential(account))
        assert outcome.healthy, outcome.evidence
        after = self.credential(account)
        assert after.grant_lost_at is None
        if adapter.rotating_refresh_tokens:
            assert reveal(after.refresh_token) != reveal(before.refresh_token)
        # What is stored is live: the next refresh is the platform's, and it works.
        self._expire_access_token(account)
        assert adapter.check(self.credential(account)).healthy

    def test_it_prompts_no_user_for_a_refresh_answer_nobody_can_read(
        self, sandbox, adapter, account, caplog
    ) -> None:
        from notifications.models import Incident, OutboxMessage
        from tokens.models import CheckRecord
        from tokens.services import check_now

        before = self._expire_access_token(account)
        answer = self.real_refresh_answer(adapter, account)
        cut = _cut_inside_first_token(answer)
        sandbox.script(self.platform, "token", status=200, body=cut)
        credential = self.credential(account)
        check = check_now([credential.pk], CheckRecord.Source.SCHEDULE)[credential.pk]
        assert check is not None
        assert check.situation == Situation.OPERATOR_CONFIG, check.evidence
        assert check.evidence["error"] == "unreadable_grant"
        incidents = Incident.objects.filter(tenant=account.person.tenant, status="open")
        assert [(i.situation, i.audience) for i in incidents] == [("operator_config", "operator")]
        # The next checks: the platform may now call the old refresh token spent; still nobody
        # but the operator hears of it.
        for _ in range(2):
            self._expire_access_token(account)
            check = check_now([credential.pk], CheckRecord.Source.SCHEDULE)[credential.pk]
            assert check is not None
            assert check.situation in ("", Situation.OPERATOR_CONFIG), check.evidence
        assert not OutboxMessage.objects.filter(audience="user").exists()
        assert OutboxMessage.objects.filter(audience="operator").count() == 1  # one alert
        assert Incident.objects.filter(audience="operator").count() == 1
        assert not Incident.objects.exclude(audience="operator").exists()
        assert sandbox.inbox(self.platform, account.person.email) == []
        # Evidence and logs show the answer's shape, never a token (not even the cut-off one).
        stored = self.credential(account)
        kept = [
            json.dumps(list(CheckRecord.objects.values_list("evidence", flat=True))),
            json.dumps(list(Incident.objects.values_list("evidence", flat=True))),
            json.dumps(stored.last_evidence),
            caplog.text,
        ]
        issued = grants.salvage_grant(answer)
        secrets = {
            issued.get("access_token"),
            issued.get("refresh_token"),
            reveal(before.refresh_token),
            reveal(before.access_token),
            cut[cut.rindex('"') + 1 :],
        }
        for secret in (s for s in secrets if isinstance(s, str) and len(s) >= 8):
            leaks = [where for where, text in zip(KEPT, kept, strict=True) if secret in text]
            assert not leaks, f"a token reached: {', '.join(leaks)}"

    def real_refresh_answer(self, adapter: PlatformAdapter, account: PlatformAccount) -> str:
        """The raw answer of a real redemption of the account's refresh token by the sandbox.

        The stored refresh token is left as it was: on a rotating platform it is now spent.
        """
        credential = self.credential(account)
        refresh = [
            wire
            for wire in corpus.by_endpoint(self.platform).get("token", [])
            if wire.status == 200
            and "grant" in wire.expect
            and wire.fake.get("given") == "healthy"
            and "refresh_token" in json.dumps(wire.request)
        ]
        if refresh:
            http = session_for(self.platform)
            kwargs = corpus.request_kwargs(refresh[0], self.wire_context(account))
            answer = http.request(**kwargs, timeout=30)
            assert answer.status_code == 200, answer.text[:300]
            return answer.text
        with grants.witness() as seen:
            adapter.redeem_refresh_token(credential, reveal(credential.refresh_token) or "")
        if seen.last() is None:
            pytest.skip(
                f"{self.platform}: no refresh fixture in the corpus (token endpoint, 200, "
                "grant) and its token calls bypass platforms.http.session_for"
            )
        return seen.last()[1]


def _assert_fields(value: Any, want: dict[str, Any], where: str) -> None:
    """Each wanted field: ``true`` means present and non-empty, anything else must be equal."""
    for name, expected in want.items():
        actual = value.get(name) if isinstance(value, dict) else getattr(value, name, None)
        if expected is True:
            assert actual, f"{where}: {name} is empty"
        else:
            assert actual == expected, f"{where}: {name} is {actual!r}, not {expected!r}"


def _hidden_fields(html: str) -> dict[str, str]:
    import re

    fields = {}
    for tag in re.findall(r"<input[^>]+type=\"hidden\"[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = (value.group(1) if value else "").replace("&amp;", "&")
    return fields


KEPT = ("the check records", "the incidents", "the credential's evidence", "the logs")


def _token_values(answer: str) -> list[re.Match[str]]:
    found = [
        re.search(rf'"{key}"\s*:\s*"([^"]+)"', answer) for key in ("access_token", "refresh_token")
    ]
    matches = [m for m in found if m is not None]
    assert matches, "the refresh answer holds no token"
    return sorted(matches, key=lambda m: m.start(1))


def _cut_after_refresh_token(answer: str) -> str:
    """The answer up to the end of its refresh token's value: the rest never arrived."""
    match = re.search(r'"refresh_token"\s*:\s*"[^"]+"', answer)
    assert match, "the refresh answer holds no refresh token"
    return answer[: match.end()]


def _cut_inside_first_token(answer: str) -> str:
    """The answer cut in the middle of its first token: nothing whole is left to salvage."""
    first = _token_values(answer)[0]
    return answer[: first.start(1) + (first.end(1) - first.start(1)) // 2]
