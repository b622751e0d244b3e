"""The real stack on a three-node RabbitMQ cluster of the suite's own (Debian's rabbitmq-server
on loopback: own node names, ports, data and Erlang cookie), never the machine's RabbitMQ."""

from collections.abc import Iterator

import pytest

from tests.harness import RabbitCluster, RabbitNode, Shop, running_shop


@pytest.fixture(scope="session")
def shop() -> Iterator[Shop]:
    # `make test-cluster` installs it; run directly, the suite says what is missing.
    assert RabbitNode.available(), (
        "the cluster suite needs Debian's rabbitmq-server: make test-cluster installs it"
    )
    cluster = RabbitCluster("shopc", size=3)
    try:
        cluster.start()
        env = {
            # Retries a few tenths of a second apart (rounded up to the one second native
            # delayed delivery counts in), and customers who may hold many open orders.
            "SHOP_MESSAGE_RETRY_BACKOFF_SECONDS": "0.2",
            "SHOP_MESSAGE_RETRY_BACKOFF_MAX_SECONDS": "2",
            "ORDERS_MAX_OPEN_ORDERS_PER_CUSTOMER": "100000",
        }
        with running_shop("cluster", rabbit=cluster, env=env) as running:
            yield running
    finally:
        cluster.close()
