from __future__ import annotations

import pytest

from accounts.models import Role
from tests.factories import make_staff, verified_client

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_the_sign_in(client):
    for path in ["/staff/", "/staff/cases/", "/audit/", "/admin/", "/staff/security/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/staff/login/"), path


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        (Role.CASEWORKER, "/admin/", 403),
        (Role.COORDINATOR, "/admin/", 403),
        (Role.AUDITOR, "/admin/", 403),
        (Role.ADMIN, "/admin/", 200),
        (Role.AUDITOR, "/staff/cases/", 403),
        (Role.ADMIN, "/staff/cases/", 403),
        (Role.CASEWORKER, "/staff/cases/", 200),
        (Role.CASEWORKER, "/audit/", 403),
        (Role.ADMIN, "/audit/", 403),
        (Role.AUDITOR, "/audit/", 200),
        (Role.AUDITOR, "/staff/", 200),
    ],
)
def test_each_role_reaches_only_its_pages(role, path, status):
    client = verified_client(make_staff(username=f"{role}-user", role=role))
    assert client.get(path).status_code == status


def test_the_menu_offers_only_what_the_role_may_use(audrey):
    page = verified_client(audrey).get("/staff/").content.decode()
    assert 'href="/audit/"' in page
    assert 'href="/staff/cases/"' not in page
    assert 'href="/admin/"' not in page
