"""The one place where domain errors become HTTP responses, in DRF's error shapes."""

import json
import sys
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
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


# What Django's own error answers say, in the contract's words (DRF's, where it has them).
ERROR_DETAILS = {
    400: "Bad request.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    405: "Method not allowed.",
    500: "Internal server error.",
}


def error_detail(status: int) -> str:
    if status in ERROR_DETAILS:
        return ERROR_DETAILS[status]
    try:
        return f"{HTTPStatus(status).phrase}."
    except ValueError:
        return "Error."


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Django's 404 for a path no view matches: JSON like the API's, not an HTML page."""
    return JsonResponse({"detail": error_detail(404)}, status=404)


# The database could not be reached (refused, restarting, connections terminated): no bug of
# ours, and nothing was recorded, so the client is told to come back rather than given a 500.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
DATABASE_RETRY_AFTER_SECONDS = 2


def database_unavailable() -> JsonResponse:
    response = JsonResponse(
        {"detail": "The service's database is unavailable right now; please retry shortly."},
        status=503,
    )
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> JsonResponse:
    # Django calls this inside its `except` block: the error is at hand, whichever middleware or
    # view raised it (the session and authentication middleware query the database too).
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return database_unavailable()
    return JsonResponse({"detail": error_detail(500)}, status=500)


class DatabaseUnavailableMiddleware:
    """A view that finds the database away answers 503 with `Retry-After`, in every mode (with
    DEBUG on, Django would answer its traceback page instead of calling `server_error`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> JsonResponse | None:
        if isinstance(exception, DATABASE_UNAVAILABLE):
            return database_unavailable()
        return None


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    """Django's CSRF refusal (the admin's and the login pages' forms), worded as DRF's own."""
    return JsonResponse({"detail": f"CSRF Failed: {reason}"}, status=403)


class JsonErrorPagesMiddleware:
    """Every error answer Django itself makes is the contract's `{"detail": ...}`, in every mode.

    With DEBUG on, Django answers an unmatched path with a page listing the whole URL table and
    an exception with its traceback, whatever `handler404` and `handler500` say; in every mode
    its 400 and 403 pages (a suspicious request, a refused permission in the admin) are HTML.
    Those answers are rewritten here, in place, so that Django still logs them and reports them
    to Sentry, and their headers (the request id, Allow) stay. The traceback is in the logs.

    Answers of DRF's views are left alone: they are the API's own errors already, and a browser
    asking DRF for HTML gets the browsable API, which shows the same JSON. The admin's error
    answers are JSON too: a browser shows it as well as it shows the gateway's own errors.
    Outermost, so that it sees the answers of every other middleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and isinstance(response, HttpResponse)
            and not isinstance(response, (Response, JsonResponse))
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            response.content = json.dumps({"detail": error_detail(response.status_code)})
            response["Content-Type"] = "application/json"
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response


class RefuseNulMiddleware:
    """A URL with a NUL character (`%00`) is refused with 400 before any view sees it.

    The gateway refuses one in the path; a caller that reaches a service directly would
    otherwise get it into a path parameter (`/api/users/a%00b/`), and anyone into a query
    parameter the admin filters on (`?sku=a%00`), and from there into a query, which PostgreSQL
    refuses with an error (a 500). No URL of the shop has one. A query parameter with one is a
    field error naming it, as the API's own validation answers it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if "\x00" in request.path_info:
            return JsonResponse(
                {"detail": "The path must not contain a NUL character (%00)."}, status=400
            )
        if "%00" in request.META.get("QUERY_STRING", ""):
            names = sorted(
                name.replace("\x00", "")
                for name, values in request.GET.lists()
                if "\x00" in name or any("\x00" in value for value in values)
            )
            if names:
                return JsonResponse(
                    {name: ["Null characters are not allowed."] for name in names}, status=400
                )
        return self.get_response(request)
