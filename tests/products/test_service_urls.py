"""What the products service serves besides its API: probes, metrics, schema, docs, admin."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probe_and_metrics_endpoints_answer_200(path):
    assert Client().get(path).status_code == 200


def test_schema_describes_the_catalog_endpoints(anonymous):
    response = anonymous.get(
        "/api/schema/products/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths) == {
        "/api/products/",
        "/api/products/{id}/",
        "/api/categories/",
        "/api/categories/{slug}/",
    }
    list_parameters = {
        parameter["name"] for parameter in paths["/api/products/"]["get"]["parameters"]
    }
    assert {"category", "min_price", "max_price", "search", "ordering", "page", "page_size"} <= (
        list_parameters
    )


def test_docs_page_answers_200():
    assert Client().get("/api/docs/products/").status_code == 200


def test_admin_redirects_anonymous_visitors_to_login():
    response = Client().get("/admin/products/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/products/login/")
