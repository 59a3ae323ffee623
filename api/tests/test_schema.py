"""The OpenAPI description is valid and the running API keeps to it (schemathesis, pinned).

Every operation gets generated requests with a valid key over real HTTP to the live server;
no answer may be a 5xx, and every answer must match the documented status codes, content
types and schemas.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.keys import create_key
from dashboard.tests.factories import make_incident, make_tenant, populate

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(live_server, transactional_db, settings):
    settings.RELAY_API_RATE_PER_MINUTE = 0  # no limit: hypothesis sends many requests
    tenant = make_tenant("acme")
    data = populate(tenant, 3)
    make_incident(data["accounts"][0], situation="user_deleted")
    _, key = create_key(tenant)
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    return schema, key, live_server.url


def test_it_describes_every_operation_in_a_valid_openapi_document(api_schema) -> None:
    schema, _, _ = api_schema
    operations = {(op.ok().method.upper(), op.ok().path) for op in schema.get_all_operations()}
    assert operations == {
        ("POST", "/api/v1/tokens/"),
        ("GET", "/api/v1/accounts/"),
        ("GET", "/api/v1/incidents/"),
        ("POST", "/api/v1/relay-events/"),
    }


def test_it_keeps_to_its_schema_for_generated_requests(api_schema) -> None:
    schema, key, base = api_schema
    headers = {"Authorization": f"Bearer {key}"}
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(headers=headers))
        @settings(
            max_examples=40,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case) -> None:
            case.call_and_validate(base_url=base, headers=headers, checks=CHECKS)

        run()


def test_it_serves_its_description_and_docs_page_without_a_key(client, db) -> None:
    described = client.get("/api/v1/openapi.json")
    assert described.status_code == 200
    assert described.json()["info"]["title"] == "Mio Auto Heal relay API"
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/api/v1/openapi.json" in html
    assert "<script>" not in html  # only script files and JSON data: the CSP holds
    assert "script-src 'self'" in page["Content-Security-Policy"]
