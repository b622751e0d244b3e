"""Sign-in limits: failed attempts per account and per address, kept in the users database
(every process and pod sees them), a generous ceiling for everything else, 429 with
Retry-After that never tells whether an account exists, and staff unlock in the admin."""

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from tests.users.factories import PASSWORD, UserFactory
from users.models import User

pytestmark = pytest.mark.django_db

TOKEN = "/api/auth/token/"
ADMIN_LOGIN = "/admin/users/login/"
OFFICE = "198.51.100.7"


def access_attempts():
    # Imported here, so that on a shop without the lockout each test fails on its own.
    from axes.models import AccessAttempt

    return AccessAttempt.objects


def sign_in(username: str, password: str = PASSWORD, *, address: str = OFFICE):
    return APIClient().post(
        TOKEN, {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


def fail(username: str, times: int, *, address: str | None = None) -> list[int]:
    return [
        sign_in(username, "wrong password", address=address or f"203.0.113.{attempt}").status_code
        for attempt in range(times)
    ]


def assert_locked(response) -> None:
    assert response.status_code == 429
    assert list(response.json()) == ["detail"]
    assert "try again in" in response.json()["detail"]
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= django_settings.USERS_LOGIN_LOCKOUT_SECONDS


def test_sixty_colleagues_behind_one_address_all_sign_in():
    users = [UserFactory(username=f"colleague{number}") for number in range(60)]

    statuses = [sign_in(user.username).status_code for user in users]

    assert statuses == [200] * 60


def test_failures_for_one_account_from_many_addresses_lock_it(alice):
    limit = django_settings.USERS_LOGIN_FAILURES_PER_ACCOUNT

    statuses = fail("alice", limit)

    assert statuses[:-1] == [401] * (limit - 1)
    assert statuses[-1] == 429
    # Locked whatever the password, from anywhere, in any spelling of the name.
    assert_locked(sign_in("alice", address="192.0.2.1"))
    assert_locked(sign_in("ALICE", address="192.0.2.2"))
    # Other accounts behind the same addresses are not.
    UserFactory(username="bob")
    assert sign_in("bob", address="203.0.113.1").status_code == 200


def test_a_lockout_answers_the_same_whether_the_account_exists_or_not(alice):
    limit = django_settings.USERS_LOGIN_FAILURES_PER_ACCOUNT
    fail("alice", limit)
    fail("nobody-by-that-name", limit)

    existing = sign_in("alice", address="192.0.2.1")
    missing = sign_in("nobody-by-that-name", address="192.0.2.1")

    assert_locked(existing)
    assert_locked(missing)
    assert existing.json() == missing.json()
    assert existing["Retry-After"] == missing["Retry-After"]


def test_failures_from_one_address_over_many_accounts_lock_the_address(settings, alice):
    settings.USERS_LOGIN_FAILURES_PER_ADDRESS = 20
    for number in range(20):
        fail(f"guess{number}", 1, address=OFFICE)

    assert_locked(sign_in("alice", address=OFFICE))
    assert sign_in("alice", address="192.0.2.1").status_code == 200


def test_a_lock_lifts_once_its_failures_leave_the_window(alice):
    fail("alice", django_settings.USERS_LOGIN_FAILURES_PER_ACCOUNT)
    assert sign_in("alice").status_code == 429

    access_attempts().update(
        attempt_time=timezone.now()
        - timedelta(seconds=django_settings.USERS_LOGIN_LOCKOUT_SECONDS + 1)
    )

    assert sign_in("alice").status_code == 200


def test_a_failure_while_locked_does_not_extend_the_lock(alice):
    fail("alice", django_settings.USERS_LOGIN_FAILURES_PER_ACCOUNT)
    counted = list(access_attempts().values_list("failures_since_start", flat=True))

    fail("alice", 3, address="192.0.2.9")

    assert list(access_attempts().values_list("failures_since_start", flat=True)) == counted


def test_the_admin_login_is_locked_by_the_same_counts(client, admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    fail("admin", django_settings.USERS_LOGIN_FAILURES_PER_ACCOUNT)

    response = client.post(ADMIN_LOGIN, {"username": "admin", "password": PASSWORD})

    assert_locked(response)
    assert "_auth_user_id" not in client.session


def test_the_browsable_api_login_is_locked_too(client, alice):
    fail("alice", django_settings.USERS_LOGIN_FAILURES_PER_ACCOUNT)

    response = client.post(django_settings.LOGIN_URL, {"username": "alice", "password": PASSWORD})

    assert_locked(response)
    assert "_auth_user_id" not in client.session


def test_failures_at_the_admin_login_lock_the_api_too(client, admin_user):
    for _ in range(django_settings.USERS_LOGIN_FAILURES_PER_ACCOUNT):
        client.post(ADMIN_LOGIN, {"username": "admin", "password": "wrong password"})

    assert_locked(sign_in("admin"))


def test_staff_unlock_an_account_in_the_admin(client, alice, admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    fail("alice", django_settings.USERS_LOGIN_FAILURES_PER_ACCOUNT)
    client.force_login(admin_user)
    changelist = "/admin/users/axes/accessattempt/"
    assert "alice" in client.get(changelist).content.decode()

    response = client.post(
        changelist,
        {
            "action": "delete_selected",
            "_selected_action": list(access_attempts().values_list("pk", flat=True)),
            "post": "yes",
        },
    )

    assert response.status_code == 302
    assert sign_in("alice").status_code == 200


def test_successes_have_a_ceiling_per_address_in_the_shared_cache(monkeypatch, alice):
    monkeypatch.setattr(
        "users.api.throttling.SharedScopedRateThrottle.THROTTLE_RATES",
        {"login": "3/minute", "register": "3/minute"},
    )

    statuses = [sign_in("alice").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    assert sign_in("alice", address="192.0.2.1").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_lock_made_in_one_process_holds_in_another():
    UserFactory(username="alice")
    fail("alice", django_settings.USERS_LOGIN_FAILURES_PER_ACCOUNT)
    database = connection.settings_dict
    other_process = (
        "import django, json, os; django.setup();"
        "from rest_framework.test import APIClient;"
        "r = APIClient().post('/api/auth/token/',"
        " {'username': 'alice', 'password': os.environ['SIGN_IN_PASSWORD']},"
        " format='json', HTTP_HOST='localhost');"
        "print(json.dumps([r.status_code, r.get('Retry-After')]))"
    )
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"

    result = subprocess.run(
        [sys.executable, "-c", other_process],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "users.settings",
            "USERS_DATABASE_URL": url,
            "SIGN_IN_PASSWORD": PASSWORD,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    status, retry_after = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 429
    assert int(retry_after) > 0
    assert User.objects.filter(username="alice").exists()


@pytest.mark.parametrize("forwarded_for", ["not-an-address", "1.2.3.4.5", "::g", ""])
def test_junk_in_x_forwarded_for_is_a_401_not_a_500(settings, alice, forwarded_for):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    response = APIClient().post(
        TOKEN,
        {"username": "alice", "password": "wrong password"},
        format="json",
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )

    assert response.status_code == 401
