"""What every service serves besides its API: probes, metrics, schema, docs and the admin."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    ["/healthz", "/readyz", "/metrics", "/api/schema/orders/", "/api/docs/orders/"],
)
def test_service_endpoint_answers_anonymous_caller(anonymous, url):
    response = anonymous.get(url)

    assert response.status_code == 200


def test_schema_describes_the_orders_api(anonymous):
    response = anonymous.get("/api/schema/orders/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    paths = response.json()["paths"]
    assert set(paths) >= {
        "/api/orders/",
        "/api/orders/{order_id}/",
        "/api/orders/{order_id}/pay/",
        "/api/orders/{order_id}/cancel/",
    }
    assert set(paths["/api/orders/"]) >= {"get", "post"}


def test_schema_generates_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )


def test_admin_sends_anonymous_visitor_to_login(client):
    response = client.get("/admin/orders/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/orders/login/")
