"""A database that is away is a 503 with Retry-After, never a 500 (the fault suite proves it
on the real stack: tests/faults, database away during a burst)."""

import json

from django.db import InterfaceError, OperationalError, ProgrammingError
from django.test import RequestFactory

from shop.api.errors import DatabaseUnavailableMiddleware, server_error


def test_a_view_that_finds_the_database_away_answers_503_with_retry_after():
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    request = RequestFactory().get("/api/orders/")

    for error in (OperationalError("connection refused"), InterfaceError("connection closed")):
        response = middleware.process_exception(request, error)
        assert response.status_code == 503
        assert int(response["Retry-After"]) > 0
        assert json.loads(response.content)["detail"]


def test_other_database_errors_are_left_to_the_500_handler():
    middleware = DatabaseUnavailableMiddleware(lambda request: None)

    assert middleware.process_exception(RequestFactory().get("/"), ProgrammingError()) is None


def test_the_500_handler_answers_503_when_a_middleware_found_the_database_away():
    request = RequestFactory().get("/api/orders/")
    try:
        raise OperationalError("the database system is shutting down")
    except OperationalError:
        unavailable = server_error(request)
    try:
        raise ValueError("a bug")
    except ValueError:
        bug = server_error(request)

    assert unavailable.status_code == 503
    assert unavailable["Retry-After"]
    assert bug.status_code == 500
