"""PATCH /api/users/me/ answers whether another account has an email: changes are limited per
account, in the cache every process shares; reading one's details is not limited."""

import pytest

from tests.users.conftest import client_for

pytestmark = pytest.mark.django_db

ME = "/api/users/me/"


def test_probing_emails_through_me_is_throttled_per_account(alice, bob):
    client = client_for(alice)
    statuses = [
        client.patch(ME, {"email": f"probe{number}@example.com"}, format="json").status_code
        for number in range(10)
    ]

    probe = client.patch(ME, {"email": "bob@example.com"}, format="json")

    assert statuses == [200] * 10
    assert probe.status_code == 429
    assert list(probe.json()) == ["detail"]
    assert int(probe["Retry-After"]) > 0
    alice.refresh_from_db()
    assert alice.email == "probe9@example.com"
    # Reading is not limited, and another account has its own count.
    assert client.get(ME).status_code == 200
    assert client_for(bob).patch(ME, {"phone": ""}, format="json").status_code == 200


def test_the_count_is_kept_in_the_shared_cache_not_in_process_memory(alice):
    from django.core.cache import caches

    client = client_for(alice)
    for number in range(10):
        client.patch(ME, {"email": f"probe{number}@example.com"}, format="json")

    # A process of its own starts with an empty local cache; the shared one is the database.
    caches["default"].clear()

    assert client.patch(ME, {"email": "x@example.com"}, format="json").status_code == 429
