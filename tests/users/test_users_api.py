"""`/api/users/me/`, the staff list and lookup by username."""

import pytest
from rest_framework.test import APIClient

from tests.users.conftest import client_for
from tests.users.factories import UserFactory
from users.models import User

pytestmark = pytest.mark.django_db


def caller_client(who, alice, bob, admin_user) -> APIClient:
    return {
        "anonymous": APIClient(),
        "alice": None if alice is None else client_for(alice),
        "bob": None if bob is None else client_for(bob),
        "staff": client_for(admin_user),
    }[who]


@pytest.mark.parametrize(
    ("who", "method", "path", "expected"),
    [
        ("anonymous", "get", "/api/users/me/", 401),
        ("alice", "get", "/api/users/me/", 200),
        ("staff", "get", "/api/users/me/", 200),
        ("anonymous", "patch", "/api/users/me/", 401),
        ("alice", "patch", "/api/users/me/", 200),
        ("alice", "put", "/api/users/me/", 405),
        ("alice", "delete", "/api/users/me/", 405),
        ("anonymous", "get", "/api/users/", 401),
        ("alice", "get", "/api/users/", 403),
        ("bob", "get", "/api/users/", 403),
        ("staff", "get", "/api/users/", 200),
        ("alice", "post", "/api/users/", 403),
        ("staff", "post", "/api/users/", 405),
        ("anonymous", "get", "/api/users/alice/", 401),
        ("alice", "get", "/api/users/alice/", 200),
        ("alice", "get", "/api/users/ALICE/", 200),
        ("bob", "get", "/api/users/alice/", 404),
        ("staff", "get", "/api/users/alice/", 200),
        ("staff", "get", "/api/users/nobody/", 404),
        ("alice", "get", "/api/users/nobody/", 404),
        ("staff", "delete", "/api/users/alice/", 405),
    ],
)
def test_permission_matrix(who, method, path, expected, alice, bob, admin_user):
    client = caller_client(who, alice, bob, admin_user)

    response = getattr(client, method)(path, {}, format="json")

    assert response.status_code == expected
    if expected >= 400:
        assert "detail" in response.json()


def test_me_shows_own_account(alice):
    body = client_for(alice).get("/api/users/me/").json()

    assert set(body) == {"id", "username", "email", "phone", "date_joined", "is_staff"}
    assert (body["username"], body["is_staff"]) == ("alice", False)


def test_me_patch_changes_email_and_phone_only(alice):
    response = client_for(alice).patch(
        "/api/users/me/",
        {
            "email": "new@example.com",
            "phone": "+442079460958",
            "is_staff": True,
            "username": "mallory",
            "id": 1,
        },
        format="json",
    )

    assert response.status_code == 200
    alice.refresh_from_db()
    assert (alice.email, str(alice.phone)) == ("new@example.com", "+442079460958")
    assert (alice.username, alice.is_staff) == ("alice", False)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "BOB@example.com"),
        ("email", "not-an-email"),
        ("email", 42),
        ("email", "a\x00@example.com"),
        ("phone", "555"),
        ("phone", "+1" + "9" * 40),
    ],
)
def test_me_patch_bad_field_is_400_and_changes_nothing(alice, bob, field, value):
    response = client_for(alice).patch("/api/users/me/", {field: value}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    alice.refresh_from_db()
    assert (alice.email, str(alice.phone)) == ("alice@example.com", "")


def test_me_refuses_a_deactivated_user_at_once(alice):
    client = client_for(alice)
    alice.is_active = False
    alice.save()

    assert client.get("/api/users/me/").status_code == 401


def test_staff_list_is_paginated_and_searchable(admin_user):
    for index in range(25):
        UserFactory(username=f"shopper{index}")
    client = client_for(admin_user)

    first = client.get("/api/users/").json()
    search = client.get("/api/users/", {"search": "shopper1"}).json()
    huge = client.get("/api/users/", {"page_size": 10_000}).json()

    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 26 and len(first["results"]) == 20
    assert {user["username"] for user in search["results"]} == {
        "shopper1",
        *(f"shopper1{digit}" for digit in range(10)),
    }
    assert len(huge["results"]) == 26


def test_staff_list_page_size_is_clamped_to_100(admin_user):
    User.objects.bulk_create(
        User(username=f"bulk{index}", email=f"bulk{index}@example.com") for index in range(120)
    )

    body = client_for(admin_user).get("/api/users/", {"page_size": 500}).json()

    assert len(body["results"]) == 100
    assert body["next"] is not None
