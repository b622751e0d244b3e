"""What every service serves besides its API: probes, metrics, schema, docs and the admin."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url", ["/healthz", "/readyz", "/metrics", "/api/schema/inventory/", "/api/docs/inventory/"]
)
def test_service_url_answers(anonymous, url):
    response = anonymous.get(url)

    assert response.status_code == 200


def test_schema_documents_every_inventory_endpoint(anonymous):
    response = anonymous.get(
        "/api/schema/inventory/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )

    paths = response.json()["paths"]
    assert {
        "/api/inventory/",
        "/api/inventory/{product_id}/",
        "/api/inventory/{product_id}/adjust/",
        "/api/inventory/{product_id}/movements/",
    } <= set(paths)


def test_schema_generates_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )


def test_admin_redirects_anonymous_to_login(client):
    response = client.get("/admin/inventory/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/inventory/login/")


def test_unknown_path_is_a_json_not_found(anonymous):
    response = anonymous.get("/api/nowhere/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
