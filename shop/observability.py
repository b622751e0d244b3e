"""Error reporting to Sentry, for web and worker processes alike (both load the settings), and
the worker's own metrics."""

from typing import Any

from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry, ProcessCollector, start_http_server
from prometheus_client.registry import Collector

from shop.request_id import current_request_id


def sentry_init(
    *, dsn: str, environment: str, release: str | None, traces_sample_rate: float
) -> bool:
    """Start reporting errors to Sentry if `dsn` is set; return whether it was.

    Without a DSN the SDK is never initialized: nothing is patched and nothing is sent.
    """
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # No client addresses, cookies, Authorization headers or users; and, since customers'
        # emails, phones and addresses travel in request bodies and local variables, neither.
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        # 0 turns tracing off altogether rather than sampling none of it.
        traces_sample_rate=traces_sample_rate or None,
        before_send=tag_event,
        before_send_transaction=tag_event,
    )
    return True


def tag_event(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Tag an event with the service and the request id, to find the request's log lines.

    Runs where the error happened, so the request's (or task's) id is still the current one.
    """
    tags = event.setdefault("tags", {})
    for name, value in (
        ("service", getattr(settings, "SHOP_SERVICE", None)),
        ("request_id", current_request_id()),
    ):
        if value:
            tags.setdefault(name, value)
    return event


# What a Celery worker counts as it works (messages consumed, orders settled). A registry of its
# own, served by the worker process itself (`worker_metrics_serve`): the web processes, which
# serve the default registry at /metrics, never see these counts, and the worker's port carries
# nothing the web's /metrics already says.
WORKER_REGISTRY = CollectorRegistry()
ProcessCollector(registry=WORKER_REGISTRY)


def worker_metrics_serve(*, port: int, address: str) -> None:
    """Serve WORKER_REGISTRY at http://address:port/metrics from a thread of this process.

    The counters live in this process's memory, so they count what its tasks do under the
    threads pool (the shop's default); a prefork pool's children would count in their own.
    """
    start_http_server(port, addr=address, registry=WORKER_REGISTRY)


_registered_kinds: set[type[Collector]] = set()


def collector_register(collector: Collector) -> None:
    """Add `collector` to the registry the web's /metrics serves, once per kind per process
    (Django may run an app's ready() more than once, in tests)."""
    if type(collector) not in _registered_kinds:
        REGISTRY.register(collector)
        _registered_kinds.add(type(collector))
