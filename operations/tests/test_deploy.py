"""init_deploy's env file, the launcher's refusal, structured logs, and the budget check."""

from __future__ import annotations

import io
import json
import logging
import os
import stat
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from mio_heal.logging import RedactTokensFilter
from operations.dbbudget import Budget
from operations.envfile import gaps, read
from operations.logs import JsonFormatter, RequestIdMiddleware, request_id
from operations.tests.rig import ROOT


def test_it_writes_an_env_file_with_fresh_secrets_readable_by_its_owner_only(tmp_path):
    out = io.StringIO()
    path = tmp_path / "mio.env"
    call_command(
        "init_deploy", "--site-url", "https://heal.example.com", "--output", path, stdout=out
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    values = read(path)
    assert values["DEBUG"] == "off"
    assert values["ALLOWED_HOSTS"] == "heal.example.com"
    assert len(values["SECRET_KEY"]) >= 50
    from cryptography.fernet import Fernet

    Fernet(values["TOKEN_ENCRYPTION_KEYS"])  # a valid key
    other = tmp_path / "other.env"
    call_command(
        "init_deploy", "--site-url", "https://h.example", "--output", other, stdout=io.StringIO()
    )
    assert read(other)["SECRET_KEY"] != values["SECRET_KEY"]  # fresh each time
    printed = out.getvalue()
    assert "DATABASE_URL" in printed
    assert "OPERATOR_EMAILS (recommended)" in printed
    assert "slack: SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_SIGNING_SECRET" in printed


def test_it_never_overwrites_an_existing_env_file(tmp_path):
    path = tmp_path / "mio.env"
    path.write_text("SECRET_KEY=keep-me\n")
    with pytest.raises(CommandError, match="not overwriting"):
        call_command("init_deploy", "--site-url", "https://h.example", "--output", path)
    assert path.read_text() == "SECRET_KEY=keep-me\n"


def test_it_refuses_a_plain_http_site_url(tmp_path):
    with pytest.raises(CommandError, match="https"):
        call_command("init_deploy", "--site-url", "http://h.example", "--output", tmp_path / "e")


def test_it_names_every_gap_in_an_env_file():
    found = gaps(
        {"DEBUG": "on", "SECRET_KEY": "x", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": ""}
    )
    assert "TOKEN_ENCRYPTION_KEYS" in found.missing
    assert "DEBUG (must be off)" in found.missing
    assert found.platforms_incomplete == {"slack": ["SLACK_CLIENT_SECRET", "SLACK_SIGNING_SECRET"]}
    assert found.fatal


def test_it_refuses_to_start_from_an_incomplete_env_file(tmp_path):
    call_command(
        "init_deploy", "--site-url", "https://h.example", "--output", tmp_path / "mio.env",
        stdout=io.StringIO(),
    )  # fmt: skip
    result = subprocess.run(  # noqa: S603
        [str(ROOT / "scripts" / "serve"), str(tmp_path / "mio.env")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "refusing to start" in result.stderr
    assert "the variables of at least one platform" in result.stderr
    assert "SECRET_KEY" not in result.stderr  # what is set is not named


def test_it_writes_json_log_lines_with_the_request_id_and_redacted_tokens():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactTokensFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("operations.tests.json")
    logger.addHandler(handler)
    logger.propagate = False
    seen: list[str] = []

    def view(request):
        seen.append(request_id.get())
        logger.warning("refresh answered %s", "access_token=abc123secret")
        from django.http import HttpResponse

        return HttpResponse("ok")

    response = RequestIdMiddleware(view)(RequestFactory().get("/x"))
    line = json.loads(stream.getvalue().strip())
    assert line["request_id"] == seen[0] == response["X-Request-ID"]
    assert "abc123secret" not in line["message"]
    assert line["level"] == "WARNING"
    assert request_id.get() is None  # the id does not leak into the next request


def test_it_keeps_a_proxys_request_id_only_when_it_is_a_plain_token():
    from django.http import HttpResponse

    middleware = RequestIdMiddleware(lambda r: HttpResponse())
    good = middleware(RequestFactory().get("/", HTTP_X_REQUEST_ID="abc-123-def-456"))
    assert good["X-Request-ID"] == "abc-123-def-456"
    bad = middleware(RequestFactory().get("/", HTTP_X_REQUEST_ID='x" injected\n'))
    assert bad["X-Request-ID"] != 'x" injected\n'


def test_it_adds_up_the_connection_budget():
    budget = Budget(web_processes=2, clusters=2, per_process=8, workers=2)
    assert budget.web == 16
    assert budget.engine == 2 * (2 * 8 + 3)
    assert budget.total == 54


@pytest.mark.skipif(sys.platform != "linux", reason="fork")
def test_it_gives_a_forked_child_a_pool_of_its_own():
    from django.db.backends.postgresql.base import DatabaseWrapper

    sentinel = object()
    DatabaseWrapper._connection_pools["inherited-test"] = sentinel
    try:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: the inherited pool is gone
            os.write(
                write_end,
                b"1" if "inherited-test" not in DatabaseWrapper._connection_pools else b"0",
            )
            os._exit(0)
        os.waitpid(pid, 0)
        assert os.read(read_end, 1) == b"1"
        assert DatabaseWrapper._connection_pools["inherited-test"] is sentinel  # parent keeps it
    finally:
        DatabaseWrapper._connection_pools.pop("inherited-test", None)


def log_from_a_task() -> None:
    logging.getLogger("operations.tests.task").warning("inside the task")


@pytest.mark.django_db
def test_it_tags_a_queue_tasks_log_lines_with_its_task_id():
    from django_q.tasks import async_task

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("operations.tests.task")
    logger.addHandler(handler)
    logger.propagate = False
    task_id = async_task("operations.tests.test_deploy.log_from_a_task")  # inline in tests
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["message"] == "inside the task"
    assert line["task_id"] == task_id


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_it_warns_when_the_deployment_can_exceed_the_servers_connections():
    from operations.checks import connection_budget, over_budget
    from operations.dbbudget import server_limit

    limit = server_limit()  # the real server's max_connections minus its reserve
    assert limit is not None
    assert limit > 0
    fits = Budget(web_processes=1, clusters=1, per_process=2, workers=1)
    assert over_budget(fits, limit) == []
    too_many = Budget(web_processes=limit, clusters=1, per_process=8, workers=2)
    (warning,) = over_budget(too_many, limit)
    assert warning.id == "operations.W002"
    assert f"more than the server's {limit}" in warning.msg
    # Without a pool (the test settings' default, DEBUG on) the check says so.
    from mio_heal.dbpool import pool_max

    found = [w.id for w in connection_budget(databases=["default"])]
    assert ("operations.W001" in found) is (pool_max() is None)
