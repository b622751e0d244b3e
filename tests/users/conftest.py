import pytest
from rest_framework.test import APIClient

from tests.users.factories import PASSWORD, UserFactory
from users.models import User
from users.services import token_obtain


def client_for(user: User) -> APIClient:
    client = APIClient()
    pair = token_obtain(username=user.username, password=PASSWORD)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access}")
    return client


@pytest.fixture
def alice(db) -> User:
    return UserFactory(username="alice", email="alice@example.com")


@pytest.fixture
def bob(db) -> User:
    return UserFactory(username="bob", email="bob@example.com")


@pytest.fixture
def admin_user(db) -> User:
    return UserFactory(username="admin", email="admin@example.com", is_staff=True)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is slow on purpose; these tests check behaviour, not hashing cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
