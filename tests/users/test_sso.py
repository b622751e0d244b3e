"""The login pages (the admin's and the browsable API's) sign the browser in to every service:
they set the SSO cookie, logging out clears it, and a session here ends with it."""

import jwt
import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from tests.tokens import access_token, sso_claims, sso_token
from tests.users.factories import PASSWORD
from users.models import User
from users.services import sso_token_issue

pytestmark = pytest.mark.django_db

COOKIE = "shop_sso"
ADMIN_LOGIN = "/admin/users/login/"
BROWSER_LOGIN = "/api/browser/users/login/"
LOGINS = [ADMIN_LOGIN, BROWSER_LOGIN]


def decoded(token: str) -> dict:
    """The claims, verified as every other service verifies them: public key, RS256 only."""
    return jwt.decode(
        token,
        settings.JWT_PUBLIC_KEYS[0],
        algorithms=["RS256"],
        audience=settings.SIMPLE_JWT["AUDIENCE"],
        issuer=settings.SIMPLE_JWT["ISSUER"],
    )


def sign_in(client: Client, login: str, username: str, password: str = PASSWORD, next_url=None):
    query = f"?next={next_url}" if next_url else ""
    return client.post(f"{login}{query}", {"username": username, "password": password})


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


@pytest.mark.parametrize("login", LOGINS)
def test_login_sets_the_sso_cookie_with_the_accounts_claims(client, admin_user, login):
    admin_user.is_superuser = True
    admin_user.save()

    response = sign_in(client, login, "admin")

    assert response.status_code == 302
    cookie = response.cookies[COOKIE]
    claims = decoded(cookie.value)
    assert claims["token_type"] == "sso"
    assert (claims["user_id"], claims["username"]) == (str(admin_user.pk), "admin")
    assert (claims["is_staff"], claims["is_superuser"]) == (True, True)
    assert claims["exp"] - claims["iat"] == 8 * 3600
    assert claims["jti"]
    assert cookie["path"] == "/"
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 8 * 3600


def test_browsable_api_login_signs_in_customers_too(client, alice):
    response = sign_in(client, BROWSER_LOGIN, "alice")

    claims = decoded(response.cookies[COOKIE].value)
    assert (claims["username"], claims["is_staff"], claims["is_superuser"]) == (
        "alice",
        False,
        False,
    )
    assert response["Location"] == "/api/users/me/"


def test_admin_login_refuses_customers_and_sets_no_cookie(client, alice):
    response = sign_in(client, ADMIN_LOGIN, "alice")

    assert response.status_code == 200
    assert COOKIE not in response.cookies
    assert signed_in_user_id(client) is None


@pytest.mark.parametrize("login", LOGINS)
def test_login_with_a_bad_password_sets_no_cookie(client, admin_user, login):
    response = sign_in(client, login, "admin", password="wrong password")

    assert response.status_code == 200
    assert COOKIE not in response.cookies
    assert signed_in_user_id(client) is None


@pytest.mark.parametrize(
    ("login", "next_url"),
    [(ADMIN_LOGIN, "/admin/products/"), (BROWSER_LOGIN, "/api/orders/?status=paid")],
)
def test_login_goes_on_to_another_services_page(client, admin_user, login, next_url):
    response = client.post(login, {"username": "admin", "password": PASSWORD, "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == next_url


@pytest.mark.parametrize("login", LOGINS)
def test_login_does_not_go_on_to_another_site(client, admin_user, login):
    response = sign_in(client, login, "admin", next_url="https://evil.example/")

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_admin_login_page_renders_with_next_and_the_admins_context(client):
    response = client.get(ADMIN_LOGIN, {"next": "/admin/products/"})

    assert response.status_code == 200
    assert response.context["next"] == "/admin/products/"
    assert response.context["site_header"]
    assert 'value="/admin/products/"' in response.content.decode()


def test_admin_login_page_without_next_comes_back_to_this_admin(client):
    response = client.get(ADMIN_LOGIN)

    assert response.context["next"] == "/admin/users/"


def test_signed_in_staff_sent_back_by_another_service_get_a_fresh_cookie(client, admin_user):
    client.force_login(admin_user)

    response = client.get(ADMIN_LOGIN, {"next": "/admin/products/"})

    assert response.status_code == 302
    assert response["Location"] == "/admin/products/"
    assert decoded(response.cookies[COOKIE].value)["user_id"] == str(admin_user.pk)


def test_signed_in_customer_sees_the_admin_login_form_not_a_redirect(client, alice):
    client.force_login(alice)

    response = client.get(ADMIN_LOGIN, {"next": "/admin/products/"})

    assert response.status_code == 200
    assert COOKIE not in response.cookies


@pytest.mark.parametrize(
    ("login", "logout"),
    [(ADMIN_LOGIN, "/admin/users/logout/"), (BROWSER_LOGIN, "/api/browser/users/logout/")],
)
def test_logout_clears_the_cookie_and_the_session(client, admin_user, login, logout):
    sign_in(client, login, "admin")

    response = client.post(logout)

    assert response.status_code == 200
    assert response.cookies[COOKIE].value == ""
    assert response.cookies[COOKIE]["max-age"] == 0
    assert response.cookies[COOKIE]["path"] == "/"
    assert signed_in_user_id(client) is None


def test_session_opened_by_login_ends_when_the_cookie_is_gone(client, admin_user):
    # Logging out on another service deletes the cookie; the browser then comes back here.
    sign_in(client, ADMIN_LOGIN, "admin")
    assert client.get("/admin/users/").status_code == 200
    del client.cookies[COOKIE]

    response = client.get("/admin/users/")

    assert response.status_code == 302
    assert signed_in_user_id(client) is None


def test_session_opened_otherwise_is_left_alone_without_a_cookie(client, admin_user):
    client.force_login(admin_user)

    assert client.get("/admin/users/").status_code == 200


def test_valid_cookie_signs_in_the_active_account(client, admin_user):
    client.cookies[COOKIE] = sso_token(user_id=admin_user.pk, username="admin", is_staff=True)

    response = client.get("/admin/users/")

    assert response.status_code == 200
    assert signed_in_user_id(client) == str(admin_user.pk)


def test_cookie_of_a_deactivated_account_signs_nobody_in(client, admin_user):
    admin_user.is_active = False
    admin_user.save()
    client.cookies[COOKIE] = sso_token(user_id=admin_user.pk, username="admin", is_staff=True)

    response = client.get("/admin/users/")

    assert response.status_code == 302
    assert signed_in_user_id(client) is None


def test_access_token_in_the_cookie_signs_nobody_in(client, admin_user):
    client.cookies[COOKIE] = access_token(user_id=admin_user.pk, username="admin", is_staff=True)

    assert client.get("/admin/users/").status_code == 302


def test_sso_token_is_no_bearer_token(admin_user):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {sso_token_issue(user=admin_user)}")

    assert api.get("/api/users/").status_code == 401


def test_cookie_is_secure_and_lives_as_long_as_configured(client, admin_user, settings):
    settings.SHOP_SSO_COOKIE_SECURE = True
    settings.USERS_SSO_LIFETIME_SECONDS = 60

    cookie = sign_in(client, ADMIN_LOGIN, "admin").cookies[COOKIE]

    assert cookie["secure"] is True
    assert cookie["max-age"] == 60
    claims = decoded(cookie.value)
    assert claims["exp"] - claims["iat"] == 60


def test_other_services_test_sso_tokens_have_the_issued_shape(admin_user):
    issued = decoded(sso_token_issue(user=admin_user))

    minted = sso_claims(user_id=admin_user.pk, username="admin", is_staff=True)

    assert set(minted) == set(issued)
    for claim in ("user_id", "username", "is_staff", "is_superuser", "aud", "iss", "token_type"):
        assert minted[claim] == issued[claim]
    assert minted["exp"] - minted["iat"] == issued["exp"] - issued["iat"]


def test_a_renamed_account_gets_its_new_name_in_the_next_cookie(client, admin_user):
    User.objects.filter(pk=admin_user.pk).update(username="chief")

    cookie = sign_in(client, ADMIN_LOGIN, "chief").cookies[COOKIE]

    assert decoded(cookie.value)["username"] == "chief"
