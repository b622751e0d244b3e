"""Signed-in customers' catalog reads are answered from a one-second cache
(products.api.catalog_cache) before the rest of the request path; staff and anonymous clients
always get a fresh answer, and nothing staff may see ever reaches anyone else from the cache.

A product is changed behind the API's back (a queryset update) so that only the cache, not the
write, decides what a read answers.
"""

import logging
import time

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from products.api.serializers import ProductOutputSerializer
from products.models import Product
from tests.products.factories import ProductFactory
from tests.tokens import access_token

pytestmark = pytest.mark.django_db

LIST = "/api/products/"


def detail(product: Product) -> str:
    return f"/api/products/{product.pk}/"


def rename(product: Product, name: str) -> None:
    Product.objects.filter(pk=product.pk).update(name=name)


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [product["name"] for product in response.json()["results"]]


def test_a_customer_read_is_answered_from_the_cache_within_its_second(customer_client):
    product = ProductFactory(name="Old")
    assert customer_client.get(detail(product)).json()["name"] == "Old"
    assert names(customer_client.get(LIST)) == ["Old"]

    rename(product, "New")

    assert customer_client.get(detail(product)).json()["name"] == "Old"
    assert names(customer_client.get(LIST)) == ["Old"]


def test_customers_share_the_cached_catalog(customer_client, other_customer):
    product = ProductFactory(name="Old")
    customer_client.get(detail(product))
    rename(product, "New")

    assert other_customer.client().get(detail(product)).json()["name"] == "Old"


def test_a_cached_answer_is_the_fresh_one_byte_for_byte(customer_client):
    product = ProductFactory()
    for path in (detail(product), LIST):
        fresh = customer_client.get(path)
        cached = customer_client.get(path)
        assert cached.content == fresh.content
        assert cached["Content-Type"] == fresh["Content-Type"] == "application/json"
        assert cached["Vary"] == fresh["Vary"]
        assert cached["Allow"] == fresh["Allow"]


@override_settings(PRODUCTS_CATALOG_CACHE_SECONDS=0.2)
def test_a_change_shows_once_the_cached_answer_is_older_than_the_setting(customer_client):
    product = ProductFactory(name="Old")
    customer_client.get(detail(product))
    customer_client.get(LIST)
    rename(product, "New")

    time.sleep(0.3)

    assert customer_client.get(detail(product)).json()["name"] == "New"
    assert names(customer_client.get(LIST)) == ["New"]


@override_settings(PRODUCTS_CATALOG_CACHE_SECONDS=0)
def test_zero_seconds_turns_the_cache_off(customer_client):
    product = ProductFactory(name="Old")
    customer_client.get(detail(product))
    rename(product, "New")

    assert customer_client.get(detail(product)).json()["name"] == "New"


@pytest.mark.parametrize("caller", ["anonymous", "staff"])
def test_anonymous_and_staff_reads_are_always_fresh(client_of, customer_client, caller):
    product = ProductFactory(name="Old")
    client = client_of(caller)
    for reader in (client, customer_client):
        reader.get(detail(product))
        reader.get(LIST)

    rename(product, "New")

    assert client.get(detail(product)).json()["name"] == "New"
    assert names(client.get(LIST)) == ["New"]


def test_what_staff_read_is_never_served_to_customers(staff_client, customer_client, anonymous):
    ProductFactory(name="On sale")
    hidden = ProductFactory(name="Off sale", is_active=False)
    assert staff_client.get(detail(hidden)).status_code == 200
    assert sorted(names(staff_client.get(LIST))) == ["Off sale", "On sale"]

    for client in (customer_client, anonymous):
        assert client.get(detail(hidden)).status_code == 404
        assert names(client.get(LIST)) == ["On sale"]
        assert client.get(LIST).json()["count"] == 1


@override_settings(PRODUCTS_CATALOG_CACHE_SECONDS=0.2)
def test_a_product_taken_off_sale_is_hidden_once_the_cached_answer_is_too_old(customer_client):
    product = ProductFactory(name="Soon gone")
    customer_client.get(detail(product))
    customer_client.get(LIST)
    Product.objects.filter(pk=product.pk).update(is_active=False)

    time.sleep(0.3)

    assert customer_client.get(detail(product)).status_code == 404
    assert names(customer_client.get(LIST)) == []


def test_errors_are_not_cached(customer_client):
    assert customer_client.get("/api/products/999/").status_code == 404
    assert customer_client.get(f"{LIST}?page=2&page_size=1").status_code == 404
    product = ProductFactory(pk=999)
    ProductFactory()

    assert customer_client.get(detail(product)).status_code == 200
    assert customer_client.get(f"{LIST}?page=2&page_size=1").status_code == 200


def test_every_query_has_its_own_entry(customer_client):
    ProductFactory(name="A", sku="A-1")
    ProductFactory(name="B", sku="B-1")
    assert names(customer_client.get(f"{LIST}?ordering=name")) == ["A", "B"]

    assert names(customer_client.get(f"{LIST}?ordering=-name")) == ["B", "A"]
    assert names(customer_client.get(f"{LIST}?search=B-1")) == ["B"]
    assert len(names(customer_client.get(f"{LIST}?ordering=name&page_size=1"))) == 1


def test_the_links_of_a_cached_page_name_the_host_that_asked(customer_client):
    ProductFactory.create_batch(2)
    first = customer_client.get(f"{LIST}?page_size=1", HTTP_HOST="localhost")
    second = customer_client.get(f"{LIST}?page_size=1", HTTP_HOST="127.0.0.1")

    assert first.json()["next"].startswith("http://localhost/")
    assert second.json()["next"].startswith("http://127.0.0.1/")


def test_the_browsable_api_and_indented_json_are_not_served_plain_json(customer_client):
    product = ProductFactory()
    plain = customer_client.get(detail(product))

    html = customer_client.get(detail(product), HTTP_ACCEPT="text/html")
    indented = customer_client.get(detail(product), HTTP_ACCEPT="application/json; indent=4")

    assert html["Content-Type"].startswith("text/html")
    assert b"<html" in html.content
    assert indented.content != plain.content
    assert indented.json() == plain.json()
    assert customer_client.get(detail(product)).content == plain.content


def test_list_and_detail_render_exactly_what_the_output_serializer_renders(anonymous):
    product = ProductFactory()

    listed = anonymous.get(LIST).json()["results"]
    shown = anonymous.get(detail(product)).json()

    expected = dict(ProductOutputSerializer(Product.objects.get(pk=product.pk)).data)
    assert shown == expected
    assert listed == [expected]


def test_a_kept_answer_reaches_neither_the_view_nor_the_database(
    customer_client, other_customer, django_assert_num_queries
):
    product = ProductFactory()
    for path in (detail(product), LIST):
        fresh = customer_client.get(path)

        with django_assert_num_queries(0):
            kept = other_customer.client().get(path)

        assert kept.status_code == 200
        assert kept.content == fresh.content
        assert kept["ETag"] == fresh["ETag"]


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer not-a-token",
        f"Bearer {access_token(user_id=7, username='late', exp=int(time.time()) - 10)}",
        "Bearer",
    ],
)
def test_a_bad_token_is_refused_even_for_a_kept_answer(customer_client, authorization):
    ProductFactory()
    assert customer_client.get(LIST).status_code == 200

    response = APIClient().get(LIST, HTTP_AUTHORIZATION=authorization)

    assert response.status_code == 401
    assert "results" not in response.json()


def test_a_kept_answer_is_logged_under_its_request_id(customer_client, caplog):
    ProductFactory()
    customer_client.get(LIST)

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="shop.requests"):
        response = customer_client.get(LIST, HTTP_X_REQUEST_ID="kept-answer-1")

    assert response["X-Request-ID"] == "kept-answer-1"
    lines = [record for record in caplog.records if record.name == "shop.requests"]
    assert [(line.request_id, line.status) for line in lines] == [("kept-answer-1", 200)]
