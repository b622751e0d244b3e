"""A browser signed in on the users service (its SSO cookie) uses this service's admin and
browsable API as a local shadow of the account, whose id is the account's id."""

import jwt
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from products.models import Product
from tests.jwt_cases import forged_tokens
from tests.tokens import access_claims, sso_claims, sso_token

pytestmark = pytest.mark.django_db

User = get_user_model()
COOKIE = "shop_sso"
STAFF_ID, CUSTOMER_ID = 4242, 5151
CHANGELIST = "/admin/products/products/product/"


def staff_cookie(**overrides) -> str:
    return sso_token(user_id=STAFF_ID, username="admin", is_staff=True, **overrides)


def customer_cookie(**overrides) -> str:
    return sso_token(user_id=CUSTOMER_ID, username="alice", **overrides)


def browser(cookie: str | None = None, **options) -> Client:
    client = Client(**options)
    if cookie is not None:
        client.cookies[COOKIE] = cookie
    return client


def signed_in_user_id(client: Client) -> int | None:
    user_id = client.session.get("_auth_user_id")
    return None if user_id is None else int(user_id)


def _staff_claims() -> dict:
    return sso_claims(user_id=STAFF_ID, username="admin", is_staff=True)


BAD_COOKIES = {
    **forged_tokens(
        _staff_claims,
        # An access token (as a Bearer header carries) is no sign-in cookie.
        of_another_type=lambda: access_claims(user_id=STAFF_ID, username="admin", is_staff=True),
    ),
    "no_username": lambda: sso_token(user_id=STAFF_ID, username="", is_staff=True),
}


def test_staff_cookie_opens_the_admin_as_a_shadow_with_the_accounts_id():
    client = browser(staff_cookie())

    response = client.get(CHANGELIST)

    assert response.status_code == 200
    shadow = User.objects.get()
    assert response.context["user"] == shadow
    assert (shadow.pk, shadow.username) == (STAFF_ID, "admin")
    assert (shadow.is_staff, shadow.is_superuser, shadow.is_active) == (True, True, True)
    assert not shadow.has_usable_password()
    assert signed_in_user_id(client) == STAFF_ID


def test_shadow_session_stays_signed_in_without_writing_again():
    client = browser(staff_cookie())
    client.get("/admin/products/")
    last_login = User.objects.get().last_login

    assert client.get(CHANGELIST).status_code == 200
    assert User.objects.get().last_login == last_login


def test_customer_cookie_signs_in_but_the_admin_sends_them_to_login():
    client = browser(customer_cookie())

    response = client.get("/admin/products/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/products/login/")
    assert signed_in_user_id(client) == CUSTOMER_ID
    assert User.objects.get().is_staff is False


@pytest.mark.parametrize("make_cookie", BAD_COOKIES.values(), ids=BAD_COOKIES.keys())
def test_bad_cookie_signs_nobody_in(make_cookie):
    client = browser(make_cookie())

    response = client.get("/admin/products/")

    assert response.status_code == 302
    assert signed_in_user_id(client) is None
    assert not User.objects.exists()


def test_removed_cookie_signs_the_shadow_out():
    # Logging out on the users service (or any service) deletes the cookie.
    client = browser(staff_cookie())
    assert client.get("/admin/products/").status_code == 200
    del client.cookies[COOKIE]

    response = client.get("/admin/products/")

    assert response.status_code == 302
    assert signed_in_user_id(client) is None


def test_expired_cookie_signs_the_shadow_out():
    client = browser(staff_cookie())
    client.get("/admin/products/")
    client.cookies[COOKIE] = BAD_COOKIES["expired"]()

    assert client.get("/admin/products/").status_code == 302
    assert signed_in_user_id(client) is None


def test_another_accounts_cookie_replaces_the_session():
    client = browser(staff_cookie())
    client.get("/admin/products/")
    client.cookies[COOKIE] = sso_token(user_id=7, username="boss", is_staff=True)

    response = client.get("/admin/products/")

    assert response.status_code == 200
    assert response.context["user"].pk == 7
    assert signed_in_user_id(client) == 7


def test_account_no_longer_staff_loses_the_admin_at_its_next_sign_in():
    client = browser(staff_cookie())
    client.get("/admin/products/")
    client.cookies[COOKIE] = sso_token(user_id=STAFF_ID, username="admin", is_staff=False)

    response = client.get("/admin/products/")

    assert response.status_code == 302
    shadow = User.objects.get()
    assert (shadow.is_staff, shadow.is_superuser) == (False, False)


def test_session_opened_otherwise_is_left_alone_without_a_cookie():
    user = User.objects.create(username="root", is_staff=True, is_superuser=True)
    client = browser()
    client.force_login(user)

    assert client.get("/admin/products/").status_code == 200


def test_username_left_behind_by_a_renamed_account_moves_to_its_new_owner():
    # On the users service account 1 was renamed from "bob", and account 2 took the name.
    User.objects.create(pk=1, username="bob")

    browser(sso_token(user_id=2, username="bob")).get("/api/products/")

    assert User.objects.get(pk=2).username == "bob"
    assert User.objects.get(pk=1).username == "~1"


def test_local_account_with_the_accounts_id_becomes_its_shadow_without_password():
    local = User.objects.create_user(username="old-root", password="local password")
    token = sso_token(user_id=local.pk, username="admin", is_staff=True)

    browser(token).get("/admin/products/")

    local.refresh_from_db()
    assert (local.username, local.is_superuser) == ("admin", True)
    assert not local.has_usable_password()


def test_createsuperuser_still_works_after_shadows_took_ids():
    # The next id the table would hand out, taken by a shadow: the sequence must move past it.
    probe = User.objects.create(username="probe")
    next_id = probe.pk + 1
    probe.delete()
    browser(sso_token(user_id=next_id, username="admin", is_staff=True)).get("/admin/products/")

    call_command("createsuperuser", interactive=False, username="root", email="r@x.example")

    assert User.objects.get(username="root").pk > next_id


@pytest.mark.parametrize(
    ("path", "location"),
    [
        (
            "/admin/products/login/?next=/admin/products/",
            "/admin/users/login/?next=/admin/products/",
        ),
        (
            f"/admin/products/login/?next={CHANGELIST}",
            f"/admin/users/login/?next={CHANGELIST}",
        ),
        ("/admin/products/login/", "/admin/users/login/?next=/admin/products/"),
        (
            "/admin/products/login/?next=https://evil.example/",
            "/admin/users/login/?next=/admin/products/",
        ),
        (
            "/api/browser/products/login/?next=/api/products/",
            "/api/browser/users/login/?next=/api/products/",
        ),
        ("/api/browser/products/login/", "/api/browser/users/login/"),
    ],
)
def test_login_pages_send_the_browser_to_the_users_services_login(path, location):
    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"] == location


def test_anonymous_admin_visit_ends_at_the_users_services_login_and_back():
    first = Client().get("/admin/products/")
    second = Client().get(first["Location"])

    assert second.status_code == 302
    assert second["Location"] == "/admin/users/login/?next=/admin/products/"


def test_no_password_signs_in_here():
    User.objects.create_user(username="old-root", password="local password", is_staff=True)

    response = Client().post(
        "/admin/products/login/", {"username": "old-root", "password": "local password"}
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/users/login/")


def test_browsable_api_shows_the_signed_in_user():
    client = browser(staff_cookie())

    response = client.get("/api/products/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    page = response.content.decode()
    assert "admin" in page
    assert 'action="/api/browser/products/logout/?next=/api/products/"' in page
    assert response.wsgi_request.user.pk == STAFF_ID


def test_browsable_api_write_needs_the_csrf_token():
    client = browser(staff_cookie(), enforce_csrf_checks=True)
    client.get("/api/products/", HTTP_ACCEPT="text/html")
    body = {"sku": "SSO-1", "name": "Signed on", "price": "1.00"}

    refused = client.post("/api/products/", body, content_type="application/json")
    csrf_token = client.cookies[settings.CSRF_COOKIE_NAME].value
    created = client.post(
        "/api/products/", body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf_token
    )

    assert refused.status_code == 403
    assert created.status_code == 201
    assert Product.objects.filter(sku="SSO-1").exists()


@pytest.mark.parametrize("logout", ["/admin/products/logout/", "/api/browser/products/logout/"])
def test_logout_here_deletes_the_cookie_for_every_service(logout):
    client = browser(staff_cookie())
    client.get("/admin/products/")

    response = client.post(logout)

    assert response.status_code == 200
    assert response.cookies[COOKIE].value == ""
    assert response.cookies[COOKIE]["max-age"] == 0
    assert signed_in_user_id(client) is None


def test_sso_token_is_no_bearer_token():
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {staff_cookie()}")

    response = api.post("/api/products/", {"sku": "B-1", "name": "B", "price": "1.00"})

    assert response.status_code == 401
    assert not Product.objects.exists()


def test_adopted_local_row_loses_its_groups_and_permissions():
    # given a local row with rights of its own, granted in this admin before the sign-on
    local = User.objects.create_user(username="old-editor", password="local password")
    change_product = Permission.objects.get(codename="change_product")
    editors = Group.objects.create(name="editors")
    editors.permissions.add(change_product)
    local.groups.add(editors)
    local.user_permissions.add(Permission.objects.get(codename="add_product"))

    # when the account with its id, a customer, signs in here
    browser(sso_token(user_id=local.pk, username="alice")).get("/api/products/")

    # then the shadow has only the claims' authority: none
    shadow = User.objects.get(pk=local.pk)
    assert list(shadow.groups.all()) == []
    assert list(shadow.user_permissions.all()) == []
    assert not shadow.has_perm("products.change_product")
    assert not shadow.has_perm("products.add_product")


@pytest.mark.parametrize("logout", ["/admin/products/logout/", "/api/browser/products/logout/"])
def test_signing_out_here_tells_the_users_service_which_cookie_ended(logout):
    from shop.messaging.contract import USERS_SSO_REVOKE, SsoRevoked
    from shop.messaging.models import OutboxMessage

    cookie = staff_cookie()
    client = browser(cookie)
    client.get("/admin/products/")

    client.post(logout)

    (row,) = OutboxMessage.objects.filter(task_name=USERS_SSO_REVOKE)
    claims = jwt.decode(cookie, options={"verify_signature": False})
    assert SsoRevoked.from_payload(row.payload) == SsoRevoked(
        user_id=STAFF_ID, jti=claims["jti"], expires_at=claims["exp"]
    )
