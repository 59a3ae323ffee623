from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast

from tests.factories import make_account, make_person, make_tenant
from tokens import vault
from tokens.models import Credential
from tokens.rotation import encrypted_fields, rotate_model
from tokens.secret import Secret

pytestmark = pytest.mark.django_db

PLAIN = "xoxp-1234-5678-plaintext-token-value"


def raw_tokens(pk: int) -> tuple[str, str]:
    return (
        Credential.objects.filter(pk=pk)
        .annotate(a=Cast("access_token", TextField()), r=Cast("refresh_token", TextField()))
        .values_list("a", "r")
        .get()
    )


def test_it_round_trips_a_token_through_the_database() -> None:
    account = make_account(make_person(make_tenant()), access_token=PLAIN, refresh_token="xoxe-1-r")
    again = Credential.objects.get(pk=account.credential_id)
    assert again.access_token.reveal() == PLAIN
    assert again.refresh_token.reveal() == "xoxe-1-r"
    stored_access, _ = raw_tokens(again.pk)
    assert PLAIN not in stored_access
    assert stored_access.startswith("gAAAA")  # a Fernet token


def test_it_never_prints_a_token() -> None:
    account = make_account(make_person(make_tenant()), access_token=PLAIN)
    credential = Credential.objects.get(pk=account.credential_id)
    for shown in (
        repr(credential),
        str(credential),
        repr(credential.access_token),
        str(credential.access_token),
        f"{credential.access_token}",
        repr(credential.__dict__),
    ):
        assert PLAIN not in shown


def test_it_refuses_to_pickle_a_secret() -> None:
    import pickle

    with pytest.raises(TypeError, match="credential id"):
        pickle.dumps(Secret(PLAIN))


def test_it_redacts_tokens_from_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    from mio_heal.logging import RedactTokensFilter

    logger = logging.getLogger("tests.redact")
    logger.addFilter(RedactTokensFilter())
    with caplog.at_level(logging.INFO, logger="tests.redact"):
        logger.info("platform said %s", {"access_token": PLAIN, "ok": False})
        logger.info("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.sig")
    assert PLAIN not in caplog.text
    assert "eyJhbGciOiJIUzI1NiJ9" not in caplog.text
    assert "[redacted]" in caplog.text


def test_it_reads_old_keys_and_rotation_rewrites_under_the_newest(settings) -> None:
    old_key = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [old_key]
    account = make_account(make_person(make_tenant()), access_token=PLAIN, refresh_token="r-1")
    before, _ = raw_tokens(account.credential_id)

    new_key = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [new_key, old_key]
    # The old key still reads.
    assert Credential.objects.get(pk=account.credential_id).access_token.reveal() == PLAIN
    assert not vault.is_current(before)

    (model, names), *_ = [(m, n) for m, n in encrypted_fields() if m is Credential]
    stats = rotate_model(model, names, batch_size=1)
    assert stats.rewritten == 2
    after, refresh_after = raw_tokens(account.credential_id)
    assert after != before
    assert vault.is_current(after)
    assert vault.is_current(refresh_after)

    # Only the new key is needed now; a second run has nothing left to do.
    settings.TOKEN_ENCRYPTION_KEYS = [new_key]
    assert Credential.objects.get(pk=account.credential_id).access_token.reveal() == PLAIN
    assert rotate_model(model, names).rewritten == 0


def test_it_rotates_with_the_management_command(settings, capsys) -> None:
    from django.core.management import call_command

    old_key = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [old_key]
    person = make_person(make_tenant())
    accounts = [make_account(person, platform=p) for p in ("slack", "teams", "zoom")]
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    call_command("rotate_token_keys", batch_size=2)
    assert "6 tokens re-encrypted" in capsys.readouterr().out
    for account in accounts:
        assert all(vault.is_current(c) for c in raw_tokens(account.credential_id))


def test_it_leaves_a_token_a_worker_rewrote_during_rotation(settings) -> None:
    old_key = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [old_key]
    account = make_account(make_person(make_tenant()), access_token=PLAIN)
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    (model, _names), *_ = [(m, n) for m, n in encrypted_fields() if m is Credential]

    # A worker refreshes the token between the rotation's read and its write.
    real_rotate = vault.rotate

    def rotate_while_worker_writes(cipher: str) -> str:
        Credential.objects.filter(pk=account.credential_id).update(access_token="fresh-from-worker")
        return real_rotate(cipher)

    vault.rotate, saved = rotate_while_worker_writes, vault.rotate
    try:
        stats = rotate_model(model, ["access_token"])
    finally:
        vault.rotate = saved
    assert stats.raced == 1
    fresh = Credential.objects.get(pk=account.credential_id).access_token.reveal()
    assert fresh == "fresh-from-worker"


def test_it_says_clearly_when_no_key_can_decrypt(settings) -> None:
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    account = make_account(make_person(make_tenant()), access_token=PLAIN)
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(vault.VaultError, match="TOKEN_ENCRYPTION_KEYS") as err:
        Credential.objects.get(pk=account.credential_id)
    assert PLAIN not in str(err.value)


def test_it_keeps_no_token_plaintext_anywhere_in_a_database_dump() -> None:
    tenant = make_tenant()
    person = make_person(tenant)
    plaintexts = []
    for platform in ("slack", "teams", "zoom", "webex"):
        account = make_account(person, platform=platform)
        cred = Credential.objects.get(pk=account.credential_id)
        plaintexts += [cred.access_token.reveal(), cred.refresh_token.reveal()]
    dump = dump_database()
    assert person.email in dump  # the dump really holds the data
    for plain in plaintexts:
        assert plain not in dump


def dump_database() -> str:
    """Every row of every table, as text: what a stolen backup would show."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)
