"""The whole shop behind its gateway, on PostgreSQL and RabbitMQ, for the schema fuzz alone: it
deletes, deactivates, adjusts and cancels at random, so it has a stack of its own."""

from collections.abc import Iterator

import pytest

from tests.harness import Shop, running_shop


@pytest.fixture(scope="session")
def shop() -> Iterator[Shop]:
    with running_shop("fuzz", gateway=True) as running:
        yield running
