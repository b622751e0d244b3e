"""Every write to a product records `ProductChanged` for inventory and orders in its transaction."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from products import services
from products.models import Product
from shop.errors import InvalidInput
from shop.messaging.contract import (
    INVENTORY_PRODUCT_SYNC,
    MESSAGES_BY_TASK,
    ORDERS_PRODUCT_SYNC,
    ProductChanged,
)
from shop.messaging.models import OutboxMessage
from tests.products.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

RECEIVERS = sorted([INVENTORY_PRODUCT_SYNC, ORDERS_PRODUCT_SYNC])
VALID = {"sku": "MUG-1", "name": "Mug", "price": "9.90"}


def events() -> list[ProductChanged]:
    """The recorded events, one per change (checked to go to both receivers), oldest first."""
    by_version: dict[tuple[int, int], list[OutboxMessage]] = {}
    for row in OutboxMessage.objects.all():
        message = MESSAGES_BY_TASK[row.task_name].from_payload(row.payload)
        assert isinstance(message, ProductChanged)
        by_version.setdefault((message.product_id, message.version), []).append(row)
    changes = []
    for rows in by_version.values():
        assert sorted(row.task_name for row in rows) == RECEIVERS
        assert rows[0].payload == rows[1].payload
        changes.append(ProductChanged.from_payload(rows[0].payload))
    return sorted(changes, key=lambda change: (change.product_id, change.version))


def create(**overrides) -> Product:
    return services.product_create(
        **{"sku": "MUG-1", "name": "Mug", "price": Decimal("9.90"), **overrides}
    )


def test_product_create_records_the_new_product_for_inventory_and_orders():
    product = create()

    assert events() == [
        ProductChanged(
            product_id=product.pk,
            version=1,
            sku="MUG-1",
            name="Mug",
            price=Decimal("9.90"),
            currency="USD",
            is_active=True,
        )
    ]
    assert Product.objects.get().version == 1


def test_event_carries_the_price_as_stored():
    create(price=Decimal("5.5"))

    (row, _) = OutboxMessage.objects.all()
    assert row.payload["price"] == "5.50"


def test_every_change_records_its_state_under_a_growing_version():
    product = create()

    services.product_update(product=product, data={"name": "Big mug", "price": Decimal("12.00")})
    services.product_deactivate(product=product)
    services.product_update(product=product, data={"is_active": True})

    assert [
        (change.version, change.name, change.price, change.is_active) for change in events()
    ] == [
        (1, "Mug", Decimal("9.90"), True),
        (2, "Big mug", Decimal("12.00"), True),
        (3, "Big mug", Decimal("12.00"), False),
        (4, "Big mug", Decimal("12.00"), True),
    ]
    assert Product.objects.get().version == 4


def test_product_update_returns_the_product_at_its_new_version():
    product = create()

    updated = services.product_update(product=product, data={"name": "Cup"})

    assert updated.version == 2


def test_version_is_counted_in_the_database_not_from_a_stale_instance():
    product = create()
    stale = Product.objects.get(pk=product.pk)
    services.product_update(product=product, data={"name": "Cup"})

    services.product_update(product=stale, data={"description": "Holds tea."})

    assert [change.version for change in events()] == [1, 2, 3]


def test_a_write_that_changes_no_visible_field_still_records_an_event():
    # Simplest rule: every write is an event. Consumers keep the newest version, so a repeat
    # of the same state costs them one idempotent update.
    product = create()

    services.product_update(product=product, data={"description": "Holds tea."})

    assert [change.version for change in events()] == [1, 2]


def test_nothing_to_write_records_nothing():
    product = create()
    inactive = ProductFactory(is_active=False)
    OutboxMessage.objects.all().delete()

    services.product_update(product=product, data={})
    services.product_deactivate(product=inactive)

    assert not OutboxMessage.objects.exists()
    assert Product.objects.get(pk=inactive.pk).version == 1


def test_refused_update_records_nothing_and_keeps_the_version():
    ProductFactory(sku="TAKEN")
    product = create()
    OutboxMessage.objects.all().delete()

    with pytest.raises(InvalidInput):
        services.product_update(product=product, data={"sku": "taken"})

    assert not OutboxMessage.objects.exists()
    assert Product.objects.get(pk=product.pk).version == 1


def test_category_delete_records_no_event_since_the_category_is_not_in_it():
    category = CategoryFactory()
    product = ProductFactory(category=category)

    services.category_delete(category=category)

    assert not OutboxMessage.objects.exists()
    assert Product.objects.get(pk=product.pk).version == 1


def test_api_create_update_and_delete_each_record_one_event(staff_client):
    product_id = staff_client.post("/api/products/", VALID, format="json").json()["id"]

    staff_client.patch(f"/api/products/{product_id}/", {"price": "11.00"}, format="json")
    staff_client.delete(f"/api/products/{product_id}/")

    assert [(change.version, change.price, change.is_active) for change in events()] == [
        (1, Decimal("9.90"), True),
        (2, Decimal("11.00"), True),
        (3, Decimal("11.00"), False),
    ]


def test_api_create_with_a_taken_sku_is_400_and_records_nothing(staff_client):
    ProductFactory(sku="MUG-1")

    response = staff_client.post("/api/products/", {**VALID, "sku": "mug-1"}, format="json")

    assert response.status_code == 400
    assert not OutboxMessage.objects.exists()
    assert Product.objects.count() == 1


def test_api_update_with_a_taken_sku_is_400_and_records_nothing(staff_client):
    ProductFactory(sku="TAKEN")
    product = ProductFactory(sku="MUG-1")

    response = staff_client.patch(f"/api/products/{product.pk}/", {"sku": "TAKEN"}, format="json")

    assert response.status_code == 400
    assert not OutboxMessage.objects.exists()


def test_admin_add_records_an_event(admin_client):
    response = admin_client.post(
        "/admin/products/products/product/add/",
        {"sku": "MUG-1", "name": "Mug", "slug": "mug", "description": "", "price": "4.50"},
    )

    assert response.status_code == 302
    assert [(change.sku, change.version) for change in events()] == [("MUG-1", 1)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_updates_of_one_product_get_distinct_versions():
    threads_count, updates_per_thread = 4, 5
    product = create()
    start = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            start.wait()
            for step in range(updates_per_thread):
                services.product_update(product=product, data={"name": f"Mug {index}.{step}"})
        except BaseException as error:  # reported by the test, never swallowed
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(index,)) for index in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    expected_versions = list(range(1, threads_count * updates_per_thread + 2))
    assert [change.version for change in events()] == expected_versions
    assert Product.objects.get().version == expected_versions[-1]
