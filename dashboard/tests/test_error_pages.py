"""The product's own error pages (also with DEBUG on, as in the demo), the favicon, and the
menu that takes a tenant admin to their tenant."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from mio_heal.errorpages import server_error

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("debug", [True, False])
def test_it_answers_another_tenants_url_with_the_products_404(
    member_client, world, settings, debug
):
    settings.DEBUG = debug
    theirs = world["data_b"]["ca"]
    for url in (
        reverse("dashboard:incident", args=[theirs.pk]),
        reverse("dashboard:tenant", args=[world["b"].slug]),
        "/no/such/page/",
    ):
        response = member_client.get(url)
        assert response.status_code == 404, url
        html = response.content.decode()
        assert 'data-page="error-404"' in html, url
        assert "URLconf" not in html  # never Django's technical page
        assert world["b"].name not in html


def test_it_answers_a_refused_form_with_the_products_403(client, world):
    client.force_login(world["member_a"])
    client.handler.enforce_csrf_checks = True
    response = client.post(reverse("dashboard:take-snapshot"), {"tenant": world["a"].slug})
    assert response.status_code == 403
    assert 'data-page="error-403"' in response.content.decode()


def test_it_renders_its_500_page_without_touching_the_database(django_assert_num_queries):
    request = RequestFactory().get("/")
    with django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500
    assert 'data-page="error-500"' in response.content.decode()


def test_it_serves_a_favicon(client):
    page = client.get("/").content.decode()
    assert 'rel="icon" href="/static/mio/favicon.svg"' in page
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301
    assert answer["Location"].endswith("/static/mio/favicon.svg")


def test_it_puts_a_tenant_admins_tenant_in_the_menu(member_client, world):
    html = member_client.get(reverse("dashboard:incidents")).content.decode()
    assert f'href="{reverse("dashboard:tenant", args=[world["a"].slug])}"' in html
    assert f'href="{reverse("dashboard:tenant", args=[world["b"].slug])}"' not in html
    here = member_client.get(reverse("dashboard:tenant", args=[world["a"].slug])).content.decode()
    assert 'class="nav-tenant active" aria-current="page"' in here
