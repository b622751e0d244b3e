"""The worker's consumer, with Celery's native delayed delivery set up once per cluster."""

from typing import Any

from celery.worker.consumer import Consumer as CeleryConsumer
from celery.worker.consumer.delayed_delivery import DelayedDelivery
from kombu.transport.native_delayed_delivery import (
    bind_queue_to_native_delayed_delivery_exchange,
    declare_native_delayed_delivery_exchanges_and_queues,
)

CELERY_STEP = "celery.worker.consumer.delayed_delivery:DelayedDelivery"


class ClusterDelayedDelivery(DelayedDelivery):
    """Declares the delay exchanges and queues and binds the worker's queues to them, through
    the node the consumer is connected to.

    Celery's own step does it through every URL of the broker list in turn, as if each were a
    broker of its own, and retries one that refuses for about fifteen seconds before the
    consumer starts: after the loss of a node, every reconnecting worker stood still that long.
    The URLs here are nodes of one cluster, whose exchanges, queues and bindings are every
    node's: one declaration is enough. A failure raises, so that the consumer restarts (a
    connection error) or the worker stops (anything else), rather than publish retries to
    exchanges that may not exist.
    """

    def start(self, c: CeleryConsumer) -> None:
        self._validate_configuration(c.app)
        declare_native_delayed_delivery_exchanges_and_queues(
            c.connection, c.app.conf.broker_native_delayed_delivery_queue_type
        )
        # The queues this worker consumes (declared by now), not every queue the app knows:
        # a worker retries its own tasks only, and another service's queue may not exist yet.
        for queue in c.app.amqp.queues.consume_from.values():
            bind_queue_to_native_delayed_delivery_exchange(c.connection, queue)


class Consumer(CeleryConsumer):
    """Celery's consumer (settings.CELERY_WORKER_CONSUMER) with ClusterDelayedDelivery."""

    class Blueprint(CeleryConsumer.Blueprint):
        default_steps: Any = [
            f"{__name__}:ClusterDelayedDelivery" if step == CELERY_STEP else step
            for step in CeleryConsumer.Blueprint.default_steps
        ]
