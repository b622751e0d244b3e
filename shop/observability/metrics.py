"""Prometheus registries: the web's default one, served at /metrics, and the worker's own."""

from typing import Any

from django_prometheus import middleware as django_prometheus_middleware
from prometheus_client import REGISTRY, CollectorRegistry, ProcessCollector, start_http_server
from prometheus_client.registry import Collector

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


class PrometheusAfterMiddleware(django_prometheus_middleware.PrometheusAfterMiddleware):  # type: ignore[misc]
    """django-prometheus's request metrics, with each labelled series looked up once.

    Its middleware asks `metric.labels(...)` for seven series per request, and prometheus_client
    checks the label names and takes a lock every time; the series for one view, method and
    status never change, so they are kept here (label values are views, methods, statuses and
    charsets: a bounded set). `label_metric` is the library's own hook for changing labels.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._series: dict[tuple[object, ...], Any] = {}

    def label_metric(self, metric: Any, request: Any, response: Any = None, **labels: str) -> Any:
        if not labels:
            return metric
        key = (metric, *labels.items())
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = metric.labels(**labels)
        return series
