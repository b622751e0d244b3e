"""The users service vouches for every SSO cookie the gateway sees (users.sign_on.sso_check):
signing out on any service, deactivating an account or taking its staff rights away ends
every copy of its cookies at once."""

import uuid

import jwt
import pytest
from django.test import Client

from shop.messaging.contract import USERS_SSO_REVOKE, SsoRevoked
from shop.messaging.models import OutboxMessage
from tests.tokens import sso_token
from tests.users.factories import PASSWORD
from users import tasks
from users.services import sso_token_issue

pytestmark = pytest.mark.django_db

CHECK = "/internal/sso-check"
COOKIE = "shop_sso"


def answer(token: str) -> str:
    response = Client().get(CHECK, headers={"X-Shop-Sso-Token": token})
    assert response.status_code == 204
    return response["X-Shop-Sso"]


def sign_out_delivered() -> None:
    """Deliver the sign-outs in the outbox to the users worker's task, as the relay would."""
    for row in OutboxMessage.objects.filter(task_name=USERS_SSO_REVOKE, sent_at__isnull=True):
        result = tasks.on_sso_revoked.apply(kwargs=row.payload, task_id=str(row.pk))
        assert result.successful(), result.traceback


def test_a_fresh_sign_in_stands(admin_user, alice):
    assert answer(sso_token_issue(user=admin_user)) == "ok"
    assert answer(sso_token_issue(user=alice)) == "ok"


@pytest.mark.parametrize(
    "token",
    [
        lambda user: "",
        lambda user: "not-a-jwt",
        lambda user: sso_token(user_id=user.pk, username="admin", is_staff=True, exp=1),
    ],
    ids=["none", "garbage", "expired"],
)
def test_no_valid_cookie_never_stands(admin_user, token):
    assert answer(token(admin_user)) == "ended"


def test_deactivating_the_account_ends_its_sign_ins_at_once(admin_user):
    token = sso_token_issue(user=admin_user)

    admin_user.is_active = False
    admin_user.save()

    assert answer(token) == "ended"


@pytest.mark.parametrize("right", ["is_staff", "is_superuser"])
def test_taking_staff_rights_away_ends_the_sign_ins_that_claimed_them(admin_user, right):
    admin_user.is_superuser = True
    admin_user.save()
    token = sso_token_issue(user=admin_user)

    setattr(admin_user, right, False)
    admin_user.save()

    assert answer(token) == "ended"


def test_a_deleted_account_has_no_sign_in(admin_user):
    token = sso_token_issue(user=admin_user)

    admin_user.delete()

    assert answer(token) == "ended"


@pytest.mark.parametrize("logout", ["/admin/users/logout/", "/api/browser/users/logout/"])
def test_signing_out_ends_every_copy_of_the_cookie(client, admin_user, logout):
    client.post("/admin/users/login/", {"username": "admin", "password": PASSWORD})
    copied = client.cookies[COOKIE].value
    assert answer(copied) == "ok"

    client.post(logout)
    sign_out_delivered()

    assert answer(copied) == "ended"
    # Reaching this service directly, without the gateway, the copy opens nothing either.
    thief = Client()
    thief.cookies[COOKIE] = copied
    assert thief.get("/admin/users/").status_code == 302


def test_a_copy_already_signed_in_here_is_signed_out(client, admin_user):
    client.post("/admin/users/login/", {"username": "admin", "password": PASSWORD})
    thief = Client()
    thief.cookies[COOKIE] = client.cookies[COOKIE].value
    assert thief.get("/admin/users/").status_code == 200

    client.post("/admin/users/logout/")
    sign_out_delivered()

    assert thief.get("/admin/users/").status_code == 302


def test_a_sign_out_delivered_twice_is_recorded_once(admin_user):
    token = sso_token_issue(user=admin_user)
    claims = jwt.decode(token, options={"verify_signature": False})
    payload = SsoRevoked(user_id=admin_user.pk, jti=claims["jti"], expires_at=claims["exp"])
    message_id = str(uuid.uuid4())

    for _ in range(2):
        result = tasks.on_sso_revoked.apply(kwargs=payload.to_payload(), task_id=message_id)
        assert result.successful(), result.traceback

    assert answer(token) == "ended"
    assert answer(sso_token_issue(user=admin_user)) == "ok"  # a new sign-in is a new cookie
