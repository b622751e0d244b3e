"""The real stack through the gateway on a RabbitMQ server of the suite's own, so that its
faults (a restart of the server process, a memory alarm) reach nobody else."""

from collections.abc import Iterator

import pytest

from tests.harness import FAULT_ENV, RabbitNode, Shop, running_shop


@pytest.fixture(scope="session")
def shop() -> Iterator[Shop]:
    # `make test-faults` installs it; run directly, the suite says what is missing.
    assert RabbitNode.available(), (
        "the fault suite needs Debian's rabbitmq-server: make test-faults installs it"
    )
    rabbit = RabbitNode("shopfaults")
    rabbit.start()
    try:
        with running_shop("faults", gateway=True, rabbit=rabbit, env=FAULT_ENV) as running:
            yield running
    finally:
        rabbit.close()


@pytest.fixture
def customer(shop: Shop) -> str:
    return shop.new_customer()
