"""Fixtures every service's suite shares. Each suite runs under its own service's settings."""

from dataclasses import dataclass

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.tokens import access_token


@dataclass(frozen=True)
class Caller:
    """Someone calling a service with a JWT: the claims the users service would have signed."""

    user_id: int
    username: str
    is_staff: bool = False

    def client(self) -> APIClient:
        client = APIClient()
        token = access_token(user_id=self.user_id, username=self.username, is_staff=self.is_staff)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttle counters live in the cache; one test's requests must not throttle the next.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


@pytest.fixture
def customer() -> Caller:
    return Caller(user_id=1001, username="alice")


@pytest.fixture
def other_customer() -> Caller:
    return Caller(user_id=1002, username="bob")


@pytest.fixture
def staff() -> Caller:
    return Caller(user_id=1, username="admin", is_staff=True)
