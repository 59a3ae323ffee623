"""Finding 1 of issue 14: second-factor secrets are encrypted at rest and never shown."""

from __future__ import annotations

import importlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from cryptography.fernet import Fernet
from django.apps import apps as django_apps
from django.core.management import call_command

from dashboard.tests.factories import make_user, new_secret
from dashboard.tests.totp import totp_code
from tests.test_vault import dump_database
from tokens import vault

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def raw_data(user) -> dict:  # type: ignore[no-untyped-def]
    return Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data


def test_it_stores_a_totp_secret_encrypted_and_still_accepts_its_codes() -> None:
    secret = new_secret()
    user = make_user(totp_secret=secret)
    stored = raw_data(user)["secret"]
    assert secret not in stored
    assert secret not in dump_database()
    assert vault.decrypt(stored) == secret
    row = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    assert TOTP(row).validate_code(totp_code(secret))


def test_it_stores_the_recovery_code_seed_encrypted() -> None:
    user = make_user(totp_secret=None)
    codes = RecoveryCodes.activate(user)
    seed = vault.decrypt(codes.instance.data["seed"])
    assert seed not in dump_database()
    assert len(codes.generate_codes()) > 0


def test_it_rotates_second_factor_secrets_with_the_token_keys(settings) -> None:  # type: ignore[no-untyped-def]
    old = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [old]
    secret = new_secret()
    user = make_user(totp_secret=secret)
    new = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_token_keys", batch_size=1)
    settings.TOKEN_ENCRYPTION_KEYS = [new]  # the old key is dropped after the run
    assert vault.decrypt(raw_data(user)["secret"]) == secret


def test_it_encrypts_the_plaintext_secrets_of_existing_rows() -> None:
    secret = new_secret()
    user = make_user(totp_secret=None)
    plain = Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": secret}
    )
    seed = "ab" * 40
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.RECOVERY_CODES, data={"seed": seed, "used_mask": 0}
    )
    migration = importlib.import_module("tokens.migrations.0007_encrypt_second_factor_secrets")
    migration.encrypt_existing(django_apps, None)
    migration.encrypt_existing(django_apps, None)  # running it twice changes nothing more
    dump = dump_database()
    assert secret not in dump
    assert seed not in dump
    plain.refresh_from_db()
    assert TOTP(plain).validate_code(totp_code(secret))


def test_it_shows_no_second_factor_secret_on_any_admin_page(client) -> None:  # type: ignore[no-untyped-def]
    secret = new_secret()
    user = make_user(totp_secret=secret)
    stored = raw_data(user)["secret"]
    operator = make_user(superuser=True, totp_secret=None)
    client.force_login(operator)
    row = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    pages = [
        "/admin/mfa/authenticator/",
        f"/admin/mfa/authenticator/{row.pk}/change/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert secret not in body
        assert stored not in body
        assert 'name="data"' not in body
    # Nor can a secret be written through the admin.
    response = client.post(
        f"/admin/mfa/authenticator/{row.pk}/change/",
        {"user": user.pk, "type": "totp", "data": '{"secret": "AAAA"}'},
    )
    assert response.status_code == 403
    assert raw_data(user)["secret"] == stored
    assert client.get("/admin/mfa/authenticator/add/").status_code == 403


def test_it_creates_the_embedded_sqlite_file_readable_by_its_owner_only(tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="mio_heal.settings", DEBUG="on")
    code = (
        "import django; django.setup(); from django.db import connection; "
        "connection.ensure_connection(); connection.cursor().execute('create table t (x int)')"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=60)  # noqa: S603
    made = sorted(p for p in tmp_path.iterdir() if p.name.startswith("mio.sqlite3"))
    assert made, "the database file was not created"
    for path in made:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_no_admin_page_lists_platform_tokens_or_app_secrets(client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(make_user(superuser=True, totp_secret=None))
    for url in ("/admin/socialaccount/socialtoken/", "/admin/socialaccount/socialapp/"):
        assert client.get(url).status_code == 404, url
