"""Registration, sign-in, rotating refresh, sign-out and JWKS through the HTTP API."""

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from tests.users.factories import PASSWORD, UserFactory
from users.models import User

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
TOKEN = "/api/auth/token/"
REFRESH = "/api/auth/token/refresh/"
LOGOUT = "/api/auth/logout/"
JWKS = "/api/auth/jwks/"


def register(**overrides):
    body = {"username": "carol", "email": "carol@example.com", "password": PASSWORD}
    body.update(overrides)
    return APIClient().post(REGISTER, body, format="json")


def obtain(username="alice", password=PASSWORD):
    return APIClient().post(TOKEN, {"username": username, "password": password}, format="json")


def test_register_creates_user_and_answers_public_fields():
    response = register(phone="+14155550100")

    assert response.status_code == 201
    assert response.json() == {
        "id": User.objects.get().id,
        "username": "carol",
        "email": "carol@example.com",
        "phone": "+14155550100",
    }
    assert User.objects.get().check_password(PASSWORD)


def test_register_without_phone_answers_empty_phone():
    response = register()

    assert response.status_code == 201
    assert response.json()["phone"] == ""


def test_register_ignores_read_only_and_unknown_fields():
    response = register(is_staff=True, is_superuser=True, id=999, colour="blue")

    assert response.status_code == 201
    user = User.objects.get()
    assert (user.is_staff, user.is_superuser) == (False, False)
    assert user.id != 999


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "CAROL"),
        ("email", "Carol@EXAMPLE.com"),
    ],
)
def test_register_refuses_duplicates_ignoring_case(field, value):
    UserFactory(username="carol", email="carol@example.com")

    response = register(**{field: value})

    assert response.status_code == 400
    assert field in response.json()
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", ""),
        ("username", "a" * 151),
        ("username", "bad name!"),
        ("username", "nul\x00byte"),
        ("username", 10**200),
        ("username", ["list"]),
        ("username", "me"),
        ("email", "not-an-email"),
        ("email", "a" * 250 + "@example.com"),
        ("email", "x\x00@example.com"),
        ("password", "short"),
        ("password", "password"),
        ("password", "12345678901"),
        ("password", "carol1234"),
        ("password", "x" * 129),
        ("phone", "12345"),
        ("phone", "+1 not a number"),
        ("phone", "+999999999999999999"),
        ("phone", {"nested": True}),
    ],
)
def test_register_bad_field_is_400_naming_it_and_writes_nothing(field, value):
    response = register(**{field: value})

    assert response.status_code == 400
    assert field in response.json()
    assert User.objects.count() == 0


def test_register_missing_fields_are_named():
    response = APIClient().post(REGISTER, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"username", "email", "password"}


def test_register_rejects_non_json_body_with_415():
    response = APIClient().post(REGISTER, "x", content_type="text/plain")

    assert response.status_code == 415
    assert "detail" in response.json()


def test_token_pair_for_valid_credentials_any_case(alice):
    response = obtain(username="ALICE")

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong password"), ("nobody", PASSWORD), ("alice", "")],
)
def test_token_refuses_bad_credentials_with_401(alice, username, password):
    response = obtain(username=username, password=password)

    assert response.status_code in (400, 401)
    if password:
        assert response.status_code == 401
        assert response.json() == {"detail": "No active account found with the given credentials."}


def test_token_refuses_inactive_user(alice):
    alice.is_active = False
    alice.save()

    assert obtain().status_code == 401


def test_access_token_carries_claims_and_is_short_lived(alice, admin_user):
    access = obtain(username="admin").json()["access"]

    claims = jwt.decode(
        access,
        settings.JWT_PUBLIC_KEYS[0],
        algorithms=["RS256"],
        audience=settings.SIMPLE_JWT["AUDIENCE"],
        issuer=settings.SIMPLE_JWT["ISSUER"],
    )
    assert jwt.get_unverified_header(access)["alg"] == "RS256"
    assert claims["user_id"] == str(admin_user.id)
    assert claims["username"] == "admin"
    assert claims["is_staff"] is True
    assert claims["token_type"] == "access"
    assert claims["exp"] - claims["iat"] <= 300


def test_login_is_rate_limited(alice):
    statuses = [obtain(password="wrong password").status_code for _ in range(25)]

    assert statuses[0] == 401
    assert statuses[-1] == 429
    assert "detail" in obtain().json()


def test_refresh_rotates_and_old_refresh_is_dead(alice):
    first = obtain().json()

    rotated = APIClient().post(REFRESH, {"refresh": first["refresh"]}, format="json")
    reused = APIClient().post(REFRESH, {"refresh": first["refresh"]}, format="json")

    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert rotated.json()["refresh"] != first["refresh"]
    assert reused.status_code == 401
    again = APIClient().post(REFRESH, {"refresh": rotated.json()["refresh"]}, format="json")
    assert again.status_code == 200


def test_refresh_reads_claims_from_the_account_again(alice):
    refresh = obtain().json()["refresh"]
    alice.is_staff = True
    alice.save()

    access = APIClient().post(REFRESH, {"refresh": refresh}, format="json").json()["access"]

    assert jwt.decode(access, options={"verify_signature": False})["is_staff"] is True


def test_refresh_for_deactivated_user_is_401(alice):
    refresh = obtain().json()["refresh"]
    alice.is_active = False
    alice.save()

    response = APIClient().post(REFRESH, {"refresh": refresh}, format="json")

    assert response.status_code == 401


def test_refresh_for_deleted_user_is_401_not_500(alice):
    refresh = obtain().json()["refresh"]
    OutstandingToken.objects.filter(user=alice).update(user=None)
    alice.delete()

    response = APIClient().post(REFRESH, {"refresh": refresh}, format="json")

    assert response.status_code == 401


@pytest.mark.parametrize("refresh", ["", "garbage", "a.b.c", "x" * 5000])
def test_refresh_with_invalid_token_is_4xx(refresh):
    response = APIClient().post(REFRESH, {"refresh": refresh}, format="json")

    assert response.status_code in (400, 401)


def test_access_token_is_not_a_refresh_token(alice):
    access = obtain().json()["access"]

    response = APIClient().post(REFRESH, {"refresh": access}, format="json")

    assert response.status_code == 401


def test_logout_kills_the_refresh_token(alice):
    pair = obtain().json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")

    response = client.post(LOGOUT, {"refresh": pair["refresh"]}, format="json")

    assert response.status_code == 204
    assert APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 401


def test_logout_requires_authentication(alice):
    pair = obtain().json()

    response = APIClient().post(LOGOUT, {"refresh": pair["refresh"]}, format="json")

    assert response.status_code == 401
    assert APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 200


def test_logout_cannot_kill_another_users_token(alice, bob):
    alices = obtain().json()
    bobs = obtain(username="bob").json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {bobs['access']}")

    response = client.post(LOGOUT, {"refresh": alices["refresh"]}, format="json")

    assert response.status_code == 400
    assert "refresh" in response.json()
    assert (
        APIClient().post(REFRESH, {"refresh": alices["refresh"]}, format="json").status_code == 200
    )


def test_jwks_publishes_the_key_that_verifies_access_tokens(alice):
    access = obtain().json()["access"]

    response = APIClient().get(JWKS)

    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")
    assert "d" not in key  # never the private part
    assert jwt.get_unverified_header(access)["kid"] == key["kid"]
    public_key = jwt.PyJWK(key).key
    claims = jwt.decode(
        access, public_key, algorithms=["RS256"], audience=settings.SIMPLE_JWT["AUDIENCE"]
    )
    assert claims["username"] == "alice"


def test_jwks_ignores_a_bad_authorization_header():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer garbage")

    assert client.get(JWKS).status_code == 200


def test_login_rate_limit_is_not_escaped_by_a_forged_forwarded_for(alice):
    statuses = [
        APIClient()
        .post(
            TOKEN,
            {"username": "alice", "password": "wrong password"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}",
        )
        .status_code
        for attempt in range(25)
    ]

    assert statuses[-1] == 429
