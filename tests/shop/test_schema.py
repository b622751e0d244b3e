"""The OpenAPI schema the shop's AutoSchema makes (shop/api/schema.py), on the catalog's API:
what its views allow and refuse is what the schema says (tests/e2e/test_schema_fuzz.py holds
the running services to it)."""

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operation(schema: dict, method: str, path: str) -> dict:
    return schema["paths"][path][method]


@pytest.mark.parametrize(
    "path", ["/api/products/", "/api/products/{id}/", "/api/categories/", "/api/categories/{slug}/"]
)
def test_catalog_reads_are_public_and_writes_need_a_token(schema, path):
    read = operation(schema, "get", path)
    write = operation(schema, "put" if "{" in path else "post", path)

    assert {} in read["security"]
    assert {} not in write["security"]
    assert "403" not in read["responses"]
    assert "403" in write["responses"]


def test_every_error_answer_has_the_contract_shape(schema):
    for path, methods in schema["paths"].items():
        for method, spec in methods.items():
            for status, response in spec["responses"].items():
                if not status.startswith("4"):
                    continue
                body = response["content"]["application/json"]["schema"]
                expected = "ValidationError" if status == "400" else "Error"
                assert body == {"$ref": f"#/components/schemas/{expected}"}, (
                    method,
                    path,
                    status,
                )
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]


def test_what_a_view_is_made_of_is_documented(schema):
    listing = operation(schema, "get", "/api/products/")
    detail_update = operation(schema, "patch", "/api/products/{id}/")
    category_delete = operation(schema, "delete", "/api/categories/{slug}/")

    # paginated: a page that does not exist is a 404; bad filters a 400; anyone may read, but
    # a forged token is still a 401.
    assert set(listing["responses"]) == {"200", "400", "401", "404", "414", "431"}
    assert set(detail_update["responses"]) == {
        "200",
        "400",
        "401",
        "403",
        "404",
        "413",
        "414",
        "415",
        "431",
    }
    # a view's own rule, annotated where it is made
    assert "409" in category_delete["responses"]
