"""order_place: validated and priced from the catalog copy, one reservation request, idempotent."""

from decimal import Decimal

import pytest

from orders.errors import IdempotencyKeyReused
from orders.models import IdempotencyKey, Order, OrderStatus
from orders.services import order_place
from orders.services.placement import request_fingerprint
from shop.errors import InvalidInput, Overloaded
from shop.messaging.contract import INVENTORY_STOCK_RESERVE, ReserveStock, StockLine
from shop.messaging.models import OutboxMessage
from tests.orders.conftest import MUG_ID, RETIRED_ID, TEE_ID
from tests.orders.helpers import ALICE, BOB, outbox_messages, timeline

pytestmark = pytest.mark.django_db


def place(items, *, who=ALICE, shipping_address="", key=None):
    return order_place(
        principal=who, items=items, shipping_address=shipping_address, idempotency_key=key
    )


def nothing_written() -> bool:
    return not Order.objects.exists() and not OutboxMessage.objects.exists()


def test_place_records_pending_order_priced_from_catalog_and_asks_for_stock(catalog):
    order, is_replay = place(
        [{"product_id": MUG_ID, "quantity": 2}, {"product_id": TEE_ID, "quantity": 1}],
        shipping_address="1 Main Street",
    )

    assert not is_replay
    assert (order.status, order.user_id, order.username) == ("pending", 1001, "alice")
    assert (order.total, order.currency, order.shipping_address) == (
        Decimal("45.00"),
        "USD",
        "1 Main Street",
    )
    assert [
        (line.product_id, line.sku, line.name, line.unit_price, line.quantity, line.line_total)
        for line in order.lines.all()
    ] == [
        (MUG_ID, "MUG-1", "Mug", Decimal("12.50"), 2, Decimal("25.00")),
        (TEE_ID, "TEE-1", "T-shirt", Decimal("20.00"), 1, Decimal("20.00")),
    ]
    assert timeline(order) == [("pending", "placed")]
    assert order.reserved_until is None
    assert outbox_messages() == [
        (
            INVENTORY_STOCK_RESERVE,
            ReserveStock(
                order_id=order.id,
                lines=(StockLine(product_id=MUG_ID, quantity=2), StockLine(TEE_ID, 1)),
            ),
        )
    ]


def test_place_merges_lines_of_one_product(catalog):
    order, _ = place(
        [
            {"product_id": TEE_ID, "quantity": 1},
            {"product_id": MUG_ID, "quantity": 400},
            {"product_id": MUG_ID, "quantity": 600},
        ]
    )

    assert [(line.product_id, line.quantity) for line in order.lines.all()] == [
        (MUG_ID, 1000),
        (TEE_ID, 1),
    ]
    ((_, message),) = outbox_messages()
    assert message.lines == (StockLine(MUG_ID, 1000), StockLine(TEE_ID, 1))


def test_place_snapshots_prices_so_later_catalog_changes_do_not_rewrite_the_order(catalog):
    order, _ = place([{"product_id": MUG_ID, "quantity": 1}])

    catalog["mug"].price = Decimal("99.00")
    catalog["mug"].name = "Renamed"
    catalog["mug"].save()

    order.refresh_from_db()
    line = order.lines.get()
    assert (line.unit_price, line.name, order.total) == (Decimal("12.50"), "Mug", Decimal("12.50"))


@pytest.mark.parametrize(
    ("items", "message_part"),
    [
        ([], "1 to 50 lines"),
        ([{"product_id": MUG_ID, "quantity": 1}] * 51, "1 to 50 lines"),
        ([{"product_id": MUG_ID, "quantity": 0}], "Quantities are 1 to 1000"),
        ([{"product_id": MUG_ID, "quantity": 1001}], "Quantities are 1 to 1000"),
        ([{"product_id": MUG_ID, "quantity": "2"}], "Quantities are 1 to 1000"),
        ([{"product_id": 0, "quantity": 1}], "positive integer"),
        (
            [{"product_id": MUG_ID, "quantity": 600}, {"product_id": MUG_ID, "quantity": 401}],
            f"Product {MUG_ID}: at most 1000 units",
        ),
        ([{"product_id": 999, "quantity": 1}], "Product 999 does not exist."),
        ([{"product_id": RETIRED_ID, "quantity": 1}], f"Product {RETIRED_ID} is not available."),
    ],
    ids=[
        "no_lines",
        "51_lines",
        "quantity_0",
        "quantity_1001",
        "quantity_not_int",
        "product_id_0",
        "merged_quantity_1001",
        "unknown_product",
        "inactive_product",
    ],
)
def test_place_refuses_bad_items_and_writes_nothing(catalog, items, message_part):
    with pytest.raises(InvalidInput) as raised:
        place(items)

    assert set(raised.value.errors) == {"items"}
    assert any(message_part in message for message in raised.value.errors["items"])
    assert nothing_written()


def test_place_names_every_unavailable_product(catalog):
    with pytest.raises(InvalidInput) as raised:
        place(
            [
                {"product_id": 999, "quantity": 1},
                {"product_id": MUG_ID, "quantity": 1},
                {"product_id": RETIRED_ID, "quantity": 1},
            ]
        )

    assert raised.value.errors == {
        "items": ["Product 999 does not exist.", f"Product {RETIRED_ID} is not available."]
    }


def test_place_refuses_product_priced_in_another_currency(catalog):
    catalog["mug"].currency = "EUR"
    catalog["mug"].save()

    with pytest.raises(InvalidInput):
        place([{"product_id": MUG_ID, "quantity": 1}])

    assert nothing_written()


def test_place_refuses_total_beyond_what_an_order_can_hold(catalog):
    catalog["mug"].price = Decimal("9999999999.99")
    catalog["mug"].save()

    with pytest.raises(InvalidInput) as raised:
        place([{"product_id": MUG_ID, "quantity": 2}])

    assert "total" in raised.value.errors["items"][0]
    assert nothing_written()


def test_place_uses_shop_currency(catalog, settings):
    settings.SHOP_CURRENCY = "EUR"
    for product in catalog.values():
        product.currency = "EUR"
        product.save()

    order, _ = place([{"product_id": MUG_ID, "quantity": 1}])

    assert order.currency == "EUR"


def test_same_idempotency_key_and_body_replays_the_first_order(catalog):
    items = [{"product_id": MUG_ID, "quantity": 2}]
    first, first_is_replay = place(items, key="key-1")

    again, is_replay = place(items, key="key-1")

    assert (first_is_replay, is_replay) == (False, True)
    assert again == first
    assert Order.objects.count() == 1
    assert len(outbox_messages()) == 1


def test_replay_answers_the_order_even_once_its_product_is_off_sale(catalog):
    items = [{"product_id": MUG_ID, "quantity": 2}]
    first, _ = place(items, key="key-1")
    catalog["mug"].is_active = False
    catalog["mug"].save()

    again, is_replay = place(items, key="key-1")

    assert (again, is_replay) == (first, True)


@pytest.mark.parametrize(
    "other",
    [
        {"items": [{"product_id": MUG_ID, "quantity": 3}]},
        {"items": [{"product_id": TEE_ID, "quantity": 2}]},
        {"items": [{"product_id": MUG_ID, "quantity": 2}], "shipping_address": "elsewhere"},
    ],
    ids=["quantity", "product", "address"],
)
def test_same_idempotency_key_with_another_body_is_a_conflict(catalog, other):
    place([{"product_id": MUG_ID, "quantity": 2}], key="key-1")

    with pytest.raises(IdempotencyKeyReused) as raised:
        place(other["items"], shipping_address=other.get("shipping_address", ""), key="key-1")

    assert raised.value.status_code == 409
    assert Order.objects.count() == 1
    assert len(outbox_messages()) == 1


def test_idempotency_keys_belong_to_one_customer(catalog):
    items = [{"product_id": MUG_ID, "quantity": 1}]

    alices, _ = place(items, who=ALICE, key="shared")
    bobs, is_replay = place(items, who=BOB, key="shared")

    assert not is_replay
    assert alices != bobs
    assert IdempotencyKey.objects.count() == 2


def test_without_idempotency_key_every_placement_is_a_new_order(catalog):
    items = [{"product_id": MUG_ID, "quantity": 1}]

    place(items)
    place(items)

    assert Order.objects.count() == 2


@pytest.mark.parametrize("key", ["", "k" * 256, "tab\there", "caf\u00e9"])
def test_place_refuses_malformed_idempotency_key(catalog, key):
    with pytest.raises(InvalidInput) as raised:
        place([{"product_id": MUG_ID, "quantity": 1}], key=key)

    assert set(raised.value.errors) == {"Idempotency-Key"}
    assert nothing_written()


def test_idempotency_key_of_255_characters_is_accepted(catalog):
    order, _ = place([{"product_id": MUG_ID, "quantity": 1}], key="k" * 255)

    assert IdempotencyKey.objects.get().order == order


def test_fingerprint_ignores_nothing_but_formatting():
    items = [{"product_id": 1, "quantity": 2}, {"product_id": 3, "quantity": 4}]

    same = request_fingerprint(
        items=[dict(reversed(item.items())) for item in items], shipping_address=""
    )
    reordered = request_fingerprint(items=list(reversed(items)), shipping_address="")

    assert request_fingerprint(items=items, shipping_address="") == same
    assert request_fingerprint(items=items, shipping_address="") != reordered
    assert len(same) == 64


def test_placed_order_starts_pending(catalog):
    order, _ = place([{"product_id": MUG_ID, "quantity": 1}])

    assert Order.objects.get().status == OrderStatus.PENDING == order.status


@pytest.fixture
def backlog_limit(settings):
    """A backlog of at most two pending orders, counted afresh for every placement."""
    settings.ORDERS_MAX_PENDING_ORDERS = 2
    settings.ORDERS_BACKLOG_CHECK_SECONDS = 0
    return settings


def test_place_refuses_when_the_backlog_is_over_the_limit_and_writes_nothing(
    catalog, backlog_limit
):
    for _ in range(3):
        place([{"product_id": MUG_ID, "quantity": 1}])
    counts = (Order.objects.count(), OutboxMessage.objects.count())

    with pytest.raises(Overloaded):
        place([{"product_id": MUG_ID, "quantity": 1}])

    assert (Order.objects.count(), OutboxMessage.objects.count()) == counts


def test_place_takes_orders_again_once_the_backlog_is_answered(catalog, backlog_limit):
    orders = [place([{"product_id": MUG_ID, "quantity": 1}])[0] for _ in range(3)]
    Order.objects.filter(pk=orders[0].pk).update(status=OrderStatus.AWAITING_PAYMENT)

    order, _ = place([{"product_id": MUG_ID, "quantity": 1}])

    assert order.status == OrderStatus.PENDING


def test_backlogged_shop_still_answers_a_replayed_idempotency_key(catalog, backlog_limit):
    first, _ = place([{"product_id": MUG_ID, "quantity": 1}], key="checkout-1")
    for _ in range(2):
        place([{"product_id": MUG_ID, "quantity": 1}])

    replayed, is_replay = place([{"product_id": MUG_ID, "quantity": 1}], key="checkout-1")

    assert (replayed.pk, is_replay) == (first.pk, True)


def test_backlog_limit_zero_never_refuses(catalog, backlog_limit):
    backlog_limit.ORDERS_MAX_PENDING_ORDERS = 0

    for _ in range(4):
        place([{"product_id": MUG_ID, "quantity": 1}])

    assert Order.objects.count() == 4
