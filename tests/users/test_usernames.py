"""Usernames: NFKC-normalized like everywhere else in Django, case-insensitive, and no
look-alikes of other names written with letters of another script."""

import pytest
from rest_framework.test import APIClient

from tests.users.factories import PASSWORD, UserFactory
from users.models import User

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
FULLWIDTH_ALICE = "\uff41\uff4c\uff49\uff43\uff45"  # "alice" in fullwidth letters
CYRILLIC_A = "\u0430"
CYRILLIC_ACE = "\u0430\u0441\u0435"  # Cyrillic letters that look like "ace"


def register(username: str, email: str = "new@example.com"):
    return APIClient().post(
        REGISTER, {"username": username, "email": email, "password": PASSWORD}, format="json"
    )


def test_a_fullwidth_spelling_of_a_taken_name_is_refused(alice):
    response = register(FULLWIDTH_ALICE)

    assert response.status_code == 400
    assert set(response.json()) == {"username"}
    assert User.objects.count() == 1


def test_a_fullwidth_name_is_saved_normalized():
    response = register("\uff42\uff4f\uff42")  # "bob" in fullwidth letters

    assert response.status_code == 201
    assert response.json()["username"] == "bob"
    assert User.objects.get().username == "bob"


def test_the_fullwidth_spelling_of_a_reserved_name_is_reserved():
    response = register("\uff4d\uff45")  # "me"

    assert response.status_code == 400
    assert set(response.json()) == {"username"}


def test_usernames_are_unique_ignoring_case(alice):
    response = register("ALICE")

    assert response.status_code == 400
    assert set(response.json()) == {"username"}


@pytest.mark.parametrize("name", [f"{CYRILLIC_A}lice", f"p{CYRILLIC_A}ypal"])
def test_a_name_mixing_look_alike_letters_of_two_scripts_is_refused(alice, name):
    response = register(name)

    assert response.status_code == 400
    assert set(response.json()) == {"username"}
    assert User.objects.count() == 1


def test_a_name_in_another_script_that_looks_like_a_taken_one_is_refused():
    UserFactory(username="ace", email="ace@example.com")

    response = register(CYRILLIC_ACE)

    assert response.status_code == 400
    assert set(response.json()) == {"username"}


@pytest.mark.parametrize(
    "name",
    [
        "\u043f\u0440\u0438\u043c\u0435\u0440",  # a Russian word, one script
        "\u03b5\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac",  # a Greek word, one script
        "user-\u540d\u524d",  # Latin and Han: nothing in it looks like a Latin letter
        "jos\u00e9.garc\u00eda_42",
    ],
)
def test_names_in_one_script_or_without_look_alikes_register(name):
    response = register(name)

    assert response.status_code == 201, response.json()


def test_signing_in_with_a_fullwidth_name_is_signing_in_as_that_name(alice):
    response = APIClient().post(
        "/api/auth/token/", {"username": FULLWIDTH_ALICE, "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200


def test_a_name_that_normalization_makes_too_long_is_a_400():
    response = register("\ufdfa" * 10)  # one character each, 18 after NFKC

    assert response.status_code == 400
    assert set(response.json()) == {"username"}
