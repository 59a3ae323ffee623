"""Settings from the environment: the embedded default, and production's refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent


def manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DJANGO_"))}
    clean.update(VAR_DIR=str(tmp_path / "var"), **env)
    for key in (
        "SECRET_KEY",
        "TOKEN_ENCRYPTION_KEYS",
        "DEBUG",
        "ALLOWED_HOSTS",
        "SITE_URL",
        "SANDBOX_ENABLED",
    ):
        if key not in env:
            clean.pop(key, None)
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DEBUG": "off",
    "SECRET_KEY": "a-long-random-production-secret-key-" + "x7Qp" * 12,
    "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "heal.example.com",
    "SITE_URL": "https://heal.example.com",
}


def test_it_passes_check_deploy_in_production_mode(tmp_path: Path) -> None:
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "ERROR", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "ERRORS" not in result.stderr


def test_it_refuses_to_start_in_production_without_a_secret_key(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage(tmp_path, "check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert not (tmp_path / "var" / "secret_key").exists()


def test_it_refuses_to_start_in_production_without_token_keys(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "TOKEN_ENCRYPTION_KEYS"}
    result = manage(tmp_path, "check", **env)
    assert result.returncode != 0
    assert "TOKEN_ENCRYPTION_KEYS is not set" in result.stderr


def test_it_generates_and_keeps_secrets_for_the_embedded_default(tmp_path: Path) -> None:
    first = manage(tmp_path, "check")
    assert first.returncode == 0, first.stderr
    assert "Production must set SECRET_KEY" in first.stderr
    key_file = tmp_path / "var" / "token_encryption_keys"
    key = key_file.read_text()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    second = manage(tmp_path, "check")
    assert second.returncode == 0
    assert "generated" not in second.stderr  # kept, not made again
    assert key_file.read_text() == key


def test_it_rejects_a_malformed_token_key_with_a_clear_message(tmp_path: Path) -> None:
    result = manage(
        tmp_path,
        "shell",
        "-c",
        "from tokens import vault; vault.encrypt('x')",
        TOKEN_ENCRYPTION_KEYS="not-a-fernet-key",
    )
    assert result.returncode != 0
    # Refused when the process starts (issue 14), before any token is read or written.
    assert "is not a Fernet key (32 bytes" in result.stderr


def test_it_refuses_the_sandbox_in_production(tmp_path: Path) -> None:
    result = manage(tmp_path, "check", SANDBOX_ENABLED="on", **PRODUCTION)
    assert result.returncode != 0
    assert "sandbox must never face the internet" in result.stderr


def test_it_refuses_production_without_a_site_url(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "SITE_URL"}
    result = manage(tmp_path, "check", **env)
    assert result.returncode != 0
    assert "SITE_URL is not set" in result.stderr


def test_it_refuses_production_without_allowed_hosts(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "ALLOWED_HOSTS"}
    result = manage(tmp_path, "check", **env)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is not set" in result.stderr


def test_it_redacts_tokens_from_djangos_own_loggers(tmp_path: Path) -> None:
    result = manage(
        tmp_path,
        "shell",
        "-c",
        "import logging; logging.getLogger('django.request').error('bad xoxp-1-2-3-secretvalue')",
    )
    assert result.returncode == 0, result.stderr
    assert "bad [redacted]" in result.stderr
    assert "secretvalue" not in result.stderr
