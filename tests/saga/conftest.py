"""The real stack for the saga suite: gunicorn, Celery workers (each running its service's relay,
orders' with beat) for all four services, on fresh PostgreSQL databases and a RabbitMQ virtual
host of its own."""

from collections.abc import Iterator

import pytest

from tests.harness import Shop, running_shop


@pytest.fixture(scope="session")
def shop() -> Iterator[Shop]:
    with running_shop(
        "saga",
        env={
            # Retries a few tenths of a second apart, so the poison test ends quickly.
            "SHOP_MESSAGE_RETRY_BACKOFF_SECONDS": "0.2",
            "SHOP_MESSAGE_MAX_DELIVERIES": "4",
            "ORDERS_EXPIRY_SCAN_SECONDS": "1",
        },
    ) as running:
        yield running


@pytest.fixture
def customer(shop: Shop) -> str:
    return shop.new_customer()
