"""The one place where domain errors become HTTP responses, in DRF's error shapes."""

from typing import Any

from django.http import HttpRequest, JsonResponse
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from shop.errors import DomainError, InvalidInput, Overloaded, RateLimited, Unauthenticated


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, InvalidInput):
        return Response(exc.errors, status=exc.status_code)
    if isinstance(exc, DomainError):
        headers = None
        if isinstance(exc, Unauthenticated):
            headers = {"WWW-Authenticate": 'Bearer realm="api"'}
        elif isinstance(exc, (Overloaded, RateLimited)):
            headers = {"Retry-After": str(exc.retry_after_seconds)}
        return Response({"detail": exc.message}, status=exc.status_code, headers=headers)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        # simplejwt adds "code" and "messages" beside "detail"; the contract is detail alone.
        response.data = {"detail": response.data["detail"]}
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Django's 404 for a path no view matches: JSON like the API's, not an HTML page."""
    return JsonResponse({"detail": "Not found."}, status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"detail": "Internal server error."}, status=500)
