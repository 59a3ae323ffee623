"""gunicorn with production settings, as an operator runs it (the sandbox as a closed rig).

One PostgreSQL database of its own, reached through a link the last test cuts; the app is
started by the repository's gunicorn.conf.py after ``migrate`` and ``collectstatic``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import requests
from cryptography.fernet import Fernet

from operations.tests.rig import ROOT, Gunicorn, Link, free_port, fresh_database, manage, via

pytestmark = pytest.mark.postgres_only

METRICS_TOKEN = "metrics-token-for-the-rig-0123456789"
HTTPS = {"X-Forwarded-Proto": "https"}


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    base = os.environ["DATABASE_URL"]
    name = f"{urlsplit(base).path.lstrip('/') or 'mio'}_gunicorn"
    direct = fresh_database(base, name)
    parts = urlsplit(direct)
    link = Link((parts.hostname or "127.0.0.1", parts.port or 5432))
    var = tmp_path_factory.mktemp("var")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "MIO_", "Q_", "SANDBOX", "DB_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="mio_heal.settings",
        DEBUG="off",
        SECRET_KEY="rig-secret-key-" + "x" * 40,
        TOKEN_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL="http://127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        BEHIND_TLS_PROXY="on",
        SANDBOX_ENABLED="on",
        SANDBOX_IN_PRODUCTION="on",
        STATIC_MANIFEST="on",
        METRICS_TOKEN=METRICS_TOKEN,
        VAR_DIR=str(var),
        DATABASE_URL=direct,
        WEB_ACCESS_LOG="off",
        LOG_FORMAT="json",
    )
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "collectstatic", "--no-input", "-v", "0")
    server = Gunicorn({**env, "DATABASE_URL": via(direct, link.port)}, var / "gunicorn.log")
    try:
        yield {"server": server, "url": server.url, "link": link, "db": direct, "var": var}
    finally:
        server.stop()
        link.cut()


def _sql(db: str, statement: str) -> None:
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(statement)


def test_it_serves_the_login_page_with_security_headers(rig: dict) -> None:
    response = requests.get(f"{rig['url']}/accounts/login/", headers=HTTPS, timeout=10)
    assert response.status_code == 200
    assert 'name="password"' in response.text
    headers = response.headers
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "Secure" in headers["Set-Cookie"]  # the CSRF cookie
    assert "DEBUG" not in response.text


def test_it_does_not_redirect_plain_http_when_ssl_redirect_is_off(rig: dict) -> None:
    response = requests.get(f"{rig['url']}/accounts/login/", allow_redirects=False, timeout=10)
    assert response.status_code == 200


def test_it_serves_hashed_compressed_static_files_cached_for_ever(rig: dict) -> None:
    manifest = json.loads((Path(rig["var"]) / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["mio/site.css"]
    assert hashed != "mio/site.css"
    page = requests.get(f"{rig['url']}/accounts/login/", timeout=10).text
    assert f"/static/{hashed}" in page  # pages link the hashed name

    response = requests.get(
        f"{rig['url']}/static/{hashed}", headers={"Accept-Encoding": "gzip"}, timeout=10
    )
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    cache = response.headers["Cache-Control"]
    assert "immutable" in cache
    assert int(cache.split("max-age=")[1].split(",")[0]) >= 365 * 86400


def test_it_answers_healthz_and_readyz(rig: dict) -> None:
    health = requests.get(f"{rig['url']}/healthz", timeout=10)
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    ready = requests.get(f"{rig['url']}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    assert ready.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "migrations": "ok", "scheduler": "ok"},
    }


def test_it_probes_with_any_host_header_and_without_https(rig: dict) -> None:
    # A load balancer probes the process by its address over plain HTTP.
    response = requests.get(f"{rig['url']}/healthz", headers={"Host": "10.1.2.3"}, timeout=10)
    assert response.status_code == 200


def test_it_is_not_ready_when_the_scheduler_is_late(rig: dict) -> None:
    _sql(
        rig["db"],
        "UPDATE django_q_schedule SET next_run = now() - interval '1 hour'"
        " WHERE name = 'mio-health-sweep'",
    )
    try:
        ready = requests.get(f"{rig['url']}/readyz", timeout=10)
        assert ready.status_code == 503
        assert ready.json()["checks"]["scheduler"] == "fail"
        assert ready.json()["checks"]["database"] == "ok"
    finally:
        _sql(
            rig["db"],
            "UPDATE django_q_schedule SET next_run = now() + interval '1 minute'"
            " WHERE name = 'mio-health-sweep'",
        )
    assert requests.get(f"{rig['url']}/readyz", timeout=10).status_code == 200


def test_it_refuses_metrics_without_the_token(rig: dict) -> None:
    assert requests.get(f"{rig['url']}/metrics", timeout=10).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert requests.get(f"{rig['url']}/metrics", headers=wrong, timeout=10).status_code == 401
    good = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    response = requests.get(f"{rig['url']}/metrics", headers=good, timeout=10)
    assert response.status_code == 200
    assert "mio_outbox_depth 0.0" in response.text
    assert 'mio_job_late{job="sweep"} 0.0' in response.text


def test_it_runs_web_and_workers_from_an_env_file_with_scripts_serve(rig: dict, tmp_path):
    """scripts/serve: migrate, collectstatic, gunicorn and a qcluster whose worker runs the
    schedules (its heartbeat shows up), all from one env file; SIGTERM stops both."""
    port = free_port()
    env_file = tmp_path / "mio.env"
    lines = {
        "DEBUG": "off",
        "SECRET_KEY": "serve-secret-key-" + "s" * 40,
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": rig["db"],
        "SECURE_SSL_REDIRECT": "0",
        "SANDBOX_ENABLED": "on",
        "SANDBOX_IN_PRODUCTION": "on",
        "ZOOM_CLIENT_ID": "sandboxzoomclient",
        "ZOOM_CLIENT_SECRET": "sandbox-zoom-secret",
        "ZOOM_WEBHOOK_SECRET": "sandbox-zoom-webhook",
        "ZOOM_BOT_JID": "v1sandboxbot@xmpp.zoom.us",
        "BIND": f"127.0.0.1:{port}",
        "VAR_DIR": str(tmp_path / "var"),
        "WEB_ACCESS_LOG": "off",
        "Q_WORKERS": "1",
    }
    env_file.write_text("".join(f"{k}={v}\n" for k, v in lines.items()))
    _sql(rig["db"], "DELETE FROM operations_heartbeat WHERE job = 'outbox'")
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "MIO_", "Q_", "SANDBOX", "DB_"))
    }
    log = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen(  # noqa: S603
        [str(ROOT / "scripts" / "serve"), str(env_file)],
        cwd=ROOT,
        env=clean,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        beat = None
        while time.monotonic() < deadline and beat is None:
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()
            with contextlib.suppress(requests.ConnectionError):
                assert requests.get(f"{url}/healthz", timeout=5).status_code == 200
                with psycopg.connect(rig["db"]) as conn:
                    beat = conn.execute(
                        "SELECT last_ok_at FROM operations_heartbeat WHERE job = 'outbox'"
                    ).fetchone()
                    beat = beat if beat and beat[0] else None
            time.sleep(1)
        assert beat is not None, "the worker never ran the outbox tick"
        assert requests.get(f"{url}/accounts/login/", timeout=10).status_code == 200
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            code = serve.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            raise
    assert code == 0, (tmp_path / "serve.log").read_text()


def test_it_is_not_ready_when_the_database_is_unreachable(rig: dict) -> None:
    """Last: cuts the rig's database link for good."""
    rig["link"].cut()
    ready = requests.get(f"{rig['url']}/readyz", timeout=30)
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == "fail"
    assert "password" not in ready.text
    assert "postgres" not in ready.text
    # The process itself still answers: it is alive, only not ready.
    assert requests.get(f"{rig['url']}/healthz", timeout=10).status_code == 200
    # LOG_FORMAT=json: gunicorn's lines and the app's are JSON, the app's with the request id.
    time.sleep(0.5)
    lines = [json.loads(line) for line in Path(rig["var"], "gunicorn.log").read_text().splitlines()]
    assert any("Booting worker" in line["message"] for line in lines)
    failed = [line for line in lines if line["message"] == "readyz: the database check failed"]
    assert failed
    assert failed[-1]["request_id"] == ready.headers["X-Request-ID"]
