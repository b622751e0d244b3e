"""Probe endpoints: `/healthz` says the process is alive, `/readyz` that its dependencies answer."""

import dataclasses

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from kombu import Connection

BROKER_TIMEOUT_SECONDS = 3


def healthz(request: HttpRequest) -> JsonResponse:
    # Liveness must not touch the database: a database outage should take pods out of
    # rotation (readiness), not restart them all.
    return JsonResponse({"status": "ok"})


# django-health-check ships no types: its base class is Any to mypy.
@dataclasses.dataclass
class Broker(HealthCheck):  # type: ignore[misc]
    """The Celery broker accepts a connection (kombu, so any transport the services use)."""

    def __repr__(self) -> str:
        return "Broker"

    def run(self) -> None:
        try:
            with Connection(
                settings.CELERY_BROKER_URL,
                transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                connect_timeout=BROKER_TIMEOUT_SECONDS,
            ) as connection:
                connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
        except Exception as error:  # the transports' connection errors share no base class
            raise ServiceUnavailable(f"broker unreachable: {type(error).__name__}") from error


# Ready means the service can do its work: its database answers and its messages can leave.
readyz = HealthCheckView.as_view(checks=["health_check.checks.Database", Broker])
