"""What every API request passes through, made cheaper: the remembered content negotiation and
the request metrics' series kept by the middleware. Each must answer exactly as before."""

import pytest
from django.urls import resolve
from prometheus_client import REGISTRY

pytestmark = pytest.mark.django_db

LIST = "/api/products/"


def test_each_accept_header_gets_its_own_renderer_however_often_asked(client):
    for _ in range(2):
        assert client.get(LIST, HTTP_ACCEPT="application/json")["Content-Type"] == (
            "application/json"
        )
        assert client.get(LIST, HTTP_ACCEPT="text/html")["Content-Type"].startswith("text/html")
        assert client.get(LIST, HTTP_ACCEPT="application/json; indent=4").content.startswith(
            b"{\n    "
        )
        assert client.get(f"{LIST}?format=api")["Content-Type"].startswith("text/html")
        assert client.get(f"{LIST}?format=json", HTTP_ACCEPT="text/html")["Content-Type"] == (
            "application/json"
        )


def test_an_unacceptable_accept_header_is_refused_every_time(client):
    for _ in range(2):
        response = client.get(LIST, HTTP_ACCEPT="image/png")
        assert response.status_code == 406


def responses_counted(view: str, status: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "django_http_responses_total_by_status_view_method_total",
            {"status": status, "view": view, "method": "GET"},
        )
        or 0.0
    )


def test_request_metrics_count_every_request_in_its_view_and_status(client):
    view = resolve(LIST).view_name
    ok, missing = responses_counted(view, "200"), responses_counted(view, "404")

    for _ in range(3):
        client.get(LIST)
    client.get(f"{LIST}?page=99")

    assert responses_counted(view, "200") == ok + 3
    assert responses_counted(view, "404") == missing + 1
