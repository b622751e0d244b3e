"""Bad input to the catalog is a small, fast 4xx in the contract's JSON, in every mode: absurdly
nested JSON, too many search terms, a NUL in the URL, unmatched paths and bugs with DEBUG on or
off; the browsable API keeps its HTML for a browser."""

import pytest
from django.test import Client

from products.api.filters import MAX_SEARCH_TERMS
from products.models import Category, Product
from tests.bad_input import (
    BROKEN_PATH,
    BROKEN_URLCONF,
    DEEP_JSON,
    FAST_SECONDS,
    assert_contract_error,
    send_json,
    timed,
)
from tests.products.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_deeply_nested_json_is_a_fast_400_and_changes_nothing(staff_client):
    product = ProductFactory(sku="MUG-1")
    category = CategoryFactory(slug="mugs")
    endpoints = [
        ("POST", "/api/products/"),
        ("PUT", f"/api/products/{product.id}/"),
        ("PATCH", f"/api/products/{product.id}/"),
        ("POST", "/api/categories/"),
        ("PUT", f"/api/categories/{category.slug}/"),
        ("PATCH", f"/api/categories/{category.slug}/"),
    ]
    before = (list(Product.objects.values()), list(Category.objects.values()))

    for method, url in endpoints:
        response, seconds = timed(
            lambda method=method, url=url: send_json(staff_client, method, url, DEEP_JSON)
        )

        assert "nested deeper" in assert_contract_error(response, 400)["detail"], url
        assert seconds < FAST_SECONDS
    assert (list(Product.objects.values()), list(Category.objects.values())) == before


@pytest.mark.parametrize(
    "search",
    [
        " ".join(f"w{n}" for n in range(MAX_SEARCH_TERMS + 1)),
        ",".join(["mug"] * (MAX_SEARCH_TERMS + 1)),
        "a " * 4000,
    ],
    ids=["eleven_words", "eleven_by_commas", "four_thousand_words"],
)
def test_a_search_of_more_than_ten_terms_is_a_400(client_of, search):
    ProductFactory(sku="MUG-1", name="Mug")

    for caller in ("anonymous", "customer", "staff"):
        response = client_of(caller).get("/api/products/", {"search": search})

        assert response.status_code == 400, response.content
        (message,) = response.json()["search"]
        assert f"At most {MAX_SEARCH_TERMS} search terms" in message


def test_a_search_of_ten_terms_still_searches(anonymous):
    ProductFactory(sku="MUG-1", name="Mug", description="one two three four five six seven")

    response = anonymous.get(
        "/api/products/", {"search": 'mug "one two" three four five six seven MUG-1 mu'}
    )

    assert response.status_code == 200, response.content
    assert [product["sku"] for product in response.json()["results"]] == ["MUG-1"]


@pytest.mark.parametrize("url", ["/api/categories/%00/", "/api/products/1%00/"])
def test_a_nul_in_the_path_is_a_json_400(staff_client, url):
    assert_contract_error(staff_client.get(url), 400)


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/products/?category=%00", "category"),
        ("/api/products/?search=mug%00", "search"),
        ("/admin/products/products/product/?sku=a%00", "sku"),
        ("/admin/products/products/product/?q=mug&name__startswith=%00", "name__startswith"),
    ],
)
def test_a_nul_in_a_query_parameter_is_a_field_error(admin_client, url, field):
    ProductFactory(sku="MUG-1")

    response = admin_client.get(url)

    assert response.status_code == 400
    assert response.json() == {field: ["Null characters are not allowed."]}


@pytest.mark.parametrize("debug", [False, True], ids=["debug_off", "debug_on"])
@pytest.mark.parametrize(
    "url", ["/api/products/not-a-number/", "/api/categories/mugs/x/", "/api/nowhere/"]
)
def test_an_unmatched_path_is_a_json_404_in_every_mode(settings, customer_client, debug, url):
    settings.DEBUG = debug

    for client in (Client(), customer_client):
        for accept in ("application/json", "text/html"):
            response = client.get(url, HTTP_ACCEPT=accept)

            assert assert_contract_error(response, 404) == {"detail": "Not found."}


@pytest.mark.parametrize("debug", [False, True], ids=["debug_off", "debug_on"])
def test_an_unknown_admin_page_is_a_json_404_for_staff_in_every_mode(settings, admin_client, debug):
    settings.DEBUG = debug

    response = admin_client.get("/admin/products/nowhere/", HTTP_ACCEPT="text/html")

    assert assert_contract_error(response, 404) == {"detail": "Not found."}


@pytest.mark.parametrize("debug", [False, True], ids=["debug_off", "debug_on"])
def test_the_browsable_api_shows_its_own_404_to_a_browser(settings, anonymous, debug):
    settings.DEBUG = debug

    response = anonymous.get("/api/products/999999/", HTTP_ACCEPT="text/html")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"&quot;detail&quot;: &quot;No product with this id.&quot;" in response.content
    # DRF's page, not Django's debug page.
    assert b"DEBUG = True" not in response.content


@pytest.mark.parametrize("debug", [False, True], ids=["debug_off", "debug_on"])
def test_a_bug_is_a_json_500_in_every_mode(settings, debug):
    settings.DEBUG = debug
    settings.ROOT_URLCONF = BROKEN_URLCONF

    response = Client(raise_request_exception=False).get(BROKEN_PATH, HTTP_ACCEPT="text/html")

    assert assert_contract_error(response, 500) == {"detail": "Internal server error."}
