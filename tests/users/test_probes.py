"""What every service serves besides its API: probes, metrics, schema, docs, admin."""

import pytest
from rest_framework.test import APIClient

from tests.users.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/healthz", 200),
        ("/readyz", 200),
        ("/metrics", 200),
        ("/api/schema/users/", 200),
        ("/api/docs/users/", 200),
        ("/admin/users/", 302),
        ("/api/browser/users/login/", 200),
    ],
)
def test_service_endpoints_answer(path, expected):
    assert APIClient().get(path).status_code == expected


def test_unknown_path_is_json_404():
    response = APIClient().get("/no/such/path/")

    assert response.status_code == 404


def test_staff_signs_in_to_admin_with_their_account(client, admin_user):
    admin_user.is_superuser = True
    admin_user.save()

    response = client.post(
        "/admin/users/login/?next=/admin/users/",
        {"username": "admin", "password": PASSWORD},
    )
    changelist = client.get("/admin/users/users/user/")

    assert response.status_code == 302
    assert changelist.status_code == 200
    assert b"admin@example.com" in changelist.content
