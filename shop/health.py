"""Probe endpoints: `/healthz` says the process is alive, `/readyz` that its dependencies answer."""

from django.http import HttpRequest, JsonResponse
from health_check.views import HealthCheckView


def healthz(request: HttpRequest) -> JsonResponse:
    # Liveness must not touch the database: a database outage should take pods out of
    # rotation (readiness), not restart them all.
    return JsonResponse({"status": "ok"})


readyz = HealthCheckView.as_view(checks=["health_check.checks.Database"])
