"""Fixtures of the products suite."""

from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.test import Client
from rest_framework.test import APIClient

from products.api.catalog_cache import CATALOG_CACHE

CALLERS = ["anonymous", "customer", "other_customer", "staff"]


@pytest.fixture
def client_of(request: pytest.FixtureRequest) -> Callable[[str], APIClient]:
    """An API client for the caller fixture a parametrized test names ("anonymous", "staff")."""

    def client(caller: str) -> APIClient:
        value = request.getfixturevalue(caller)
        return value if isinstance(value, APIClient) else value.client()

    return client


@pytest.fixture
def staff_client(staff) -> APIClient:
    return staff.client()


@pytest.fixture
def customer_client(customer) -> APIClient:
    return customer.client()


@pytest.fixture
def admin_client(db, client) -> Client:
    """pytest-django's `admin_client`, without hashing a password on every test."""
    user = get_user_model().objects.create(
        username="admin", email="admin@example.com", is_staff=True, is_superuser=True
    )
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _clear_catalog_cache():
    # Customers' catalog reads are kept for a second (products.api.catalog_cache): one
    # test's answers must not be another's.
    caches[CATALOG_CACHE].clear()
    yield
    caches[CATALOG_CACHE].clear()
