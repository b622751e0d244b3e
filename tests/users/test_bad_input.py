"""Bad input to the users service is a small, fast 4xx in the contract's JSON, in every mode:
absurdly nested JSON, a NUL in the URL, unmatched paths and bugs with DEBUG on or off."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.bad_input import (
    BROKEN_PATH,
    BROKEN_URLCONF,
    DEEP_JSON,
    DEEP_OBJECT_JSON,
    FAST_SECONDS,
    assert_contract_error,
    send_json,
    timed,
)
from tests.users.conftest import client_for
from users.models import User

pytestmark = pytest.mark.django_db

# Every endpoint of the service that reads a JSON body, and who may send it.
JSON_ENDPOINTS = [
    ("POST", "/api/auth/register/", "anonymous"),
    ("POST", "/api/auth/token/", "anonymous"),
    ("POST", "/api/auth/token/refresh/", "anonymous"),
    ("POST", "/api/auth/logout/", "alice"),
    ("PATCH", "/api/users/me/", "alice"),
]


@pytest.mark.parametrize("body", [DEEP_JSON, DEEP_OBJECT_JSON], ids=["arrays", "objects"])
@pytest.mark.parametrize(("method", "url", "caller"), JSON_ENDPOINTS)
def test_deeply_nested_json_is_a_fast_400_and_changes_nothing(alice, method, url, caller, body):
    client = APIClient() if caller == "anonymous" else client_for(alice)
    before = list(User.objects.values_list("username", "email"))

    response, seconds = timed(lambda: send_json(client, method, url, body))

    assert "nested deeper" in assert_contract_error(response, 400)["detail"]
    assert seconds < FAST_SECONDS
    assert list(User.objects.values_list("username", "email")) == before


def test_json_nested_a_few_levels_still_registers():
    body = b'{"username": "carol", "email": "carol@example.com", "password": "a fine pass 42",'
    body += b' "extra": [[[[{"a": [1]}]]]]}'

    response = send_json(APIClient(), "POST", "/api/auth/register/", body)

    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    "url", ["/api/users/a%00b/", "/api/users/%00/", "/api/users/a%00b/x/", "/admin/users/%00/"]
)
def test_a_nul_in_the_path_is_a_json_400(admin_user, url):
    response = client_for(admin_user).get(url)

    assert assert_contract_error(response, 400) == {
        "detail": "The path must not contain a NUL character (%00)."
    }


def test_a_nul_in_a_query_parameter_is_a_field_error(admin_user):
    response = client_for(admin_user).get("/api/users/?search=a%00&page=1")

    assert response.status_code == 400
    assert response.json() == {"search": ["Null characters are not allowed."]}


@pytest.mark.parametrize("debug", [False, True], ids=["debug_off", "debug_on"])
@pytest.mark.parametrize(
    "url", ["/api/users/me/x/", "/api/nowhere/", "/nowhere", "/api/auth/", "/static/users/x.css"]
)
def test_an_unmatched_path_is_a_json_404_in_every_mode(settings, alice, debug, url):
    settings.DEBUG = debug

    for client in (Client(), client_for(alice)):
        for accept in ("application/json", "text/html"):
            response = client.get(url, HTTP_ACCEPT=accept)

            assert assert_contract_error(response, 404) == {"detail": "Not found."}
            assert b"DEBUG = True" not in response.content


@pytest.mark.parametrize("debug", [False, True], ids=["debug_off", "debug_on"])
def test_a_bug_is_a_json_500_in_every_mode(settings, debug):
    settings.DEBUG = debug
    settings.ROOT_URLCONF = BROKEN_URLCONF
    client = Client(raise_request_exception=False)

    for accept in ("application/json", "text/html"):
        response = client.get(BROKEN_PATH, HTTP_ACCEPT=accept)

        assert assert_contract_error(response, 500) == {"detail": "Internal server error."}
        assert b"a bug in a view" not in response.content


@pytest.mark.parametrize("debug", [False, True], ids=["debug_off", "debug_on"])
def test_a_form_refused_for_its_csrf_token_is_a_json_403(settings, debug):
    settings.DEBUG = debug
    client = Client(enforce_csrf_checks=True)

    response = client.post("/admin/users/login/", {"username": "alice", "password": "x"})

    assert assert_contract_error(response, 403)["detail"].startswith("CSRF Failed")


@pytest.mark.parametrize("debug", [False, True], ids=["debug_off", "debug_on"])
def test_a_disallowed_host_is_a_json_400_in_every_mode(settings, debug):
    settings.DEBUG = debug

    response = Client().get("/api/auth/jwks/", HTTP_HOST="evil.example.com")

    assert_contract_error(response, 400)
