"""`rows_insert`, the saga's INSERT without the query builder: it must store exactly what the ORM
stores, and leave the instances as `bulk_create` leaves them."""

import uuid
from decimal import Decimal

import pytest

from products.models import Category, Product
from shop.database.inserts import rows_insert
from shop.messaging.models import OutboxMessage

pytestmark = pytest.mark.django_db

# Every column but the ones that tell two rows apart.
DIFFERENT = ("id", "sku", "slug", "created_at", "updated_at")


def product(sku: str, category: Category | None = None) -> Product:
    return Product(
        sku=sku, name="Lamp", slug=sku.lower(), price=Decimal("12.50"), category=category
    )


def stored(obj: Product) -> dict:
    row = Product.objects.values().get(pk=obj.pk)
    return {name: value for name, value in row.items() if name not in DIFFERENT}


def test_the_rows_are_what_bulk_create_stores_with_ids_read_back_in_order():
    category = Category.objects.create(name="Lights", slug="lights")
    [by_orm] = Product.objects.bulk_create([product("ORM-1", category)])
    inserted = [product("FAST-1", category), product("FAST-2", category), product("FAST-3")]

    rows_insert(inserted)

    assert [Product.objects.get(pk=obj.pk).sku for obj in inserted] == [
        "FAST-1",
        "FAST-2",
        "FAST-3",
    ]
    assert stored(inserted[0]) == stored(inserted[1]) == stored(by_orm)
    assert stored(inserted[2]) == stored(by_orm) | {"category_id": None}
    for obj in inserted:
        # auto_now_add and auto_now applied as save() applies them, and the instance is saved.
        assert Product.objects.get(pk=obj.pk).created_at == obj.created_at is not None
        assert not obj._state.adding


def test_an_inserted_instance_saves_as_an_update_not_a_second_row():
    obj = product("LAMP-9")
    rows_insert([obj])

    obj.name = "Desk lamp"
    obj.save()

    assert Product.objects.filter(sku="LAMP-9").count() == 1
    assert Product.objects.get(sku="LAMP-9").name == "Desk lamp"


def test_a_given_primary_key_and_json_are_stored_as_given():
    message_id = uuid.uuid4()
    row = OutboxMessage(id=message_id, task_name="t", payload={"é": [1, "x"]}, headers={"a": "b"})

    rows_insert([row])

    stored = OutboxMessage.objects.get(pk=message_id)
    assert (stored.payload, stored.headers) == ({"é": [1, "x"]}, {"a": "b"})


def test_instances_of_two_models_are_refused_and_nothing_is_inserted():
    with pytest.raises(TypeError):
        rows_insert([product("A-1"), Category(name="c", slug="c")])
    assert not Product.objects.exists()


def test_instances_with_and_without_a_primary_key_are_refused():
    with pytest.raises(TypeError):
        rows_insert([product("A-1"), Product(pk=99, sku="B-1", name="B", slug="b", price=1)])
    assert not Product.objects.exists()


def test_nothing_to_insert_sends_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        rows_insert([])
