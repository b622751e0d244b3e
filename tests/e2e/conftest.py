"""The whole shop behind its Nginx gateway, on PostgreSQL and RabbitMQ: every request of this
suite goes through the gateway, as a client's or a browser's would."""

from collections.abc import Iterator

import pytest

from tests.harness import Shop, running_shop


@pytest.fixture(scope="session")
def shop() -> Iterator[Shop]:
    with running_shop("e2e", gateway=True) as running:
        yield running


@pytest.fixture
def customer(shop: Shop) -> str:
    return shop.new_customer()
