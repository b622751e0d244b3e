"""Who sees which orders is decided in the selectors, so every interface gets the same answer."""

import uuid

import pytest

from orders.errors import OrderNotFound
from orders.models import OrderStatus
from orders.selectors import order_get_for_user, order_list
from shop.auth.tokens import Principal
from tests.orders.factories import OrderFactory
from tests.tokens import access_claims

pytestmark = pytest.mark.django_db


def principal(*, user_id: int, username: str = "someone", is_staff: bool = False) -> Principal:
    return Principal(access_claims(user_id=user_id, username=username, is_staff=is_staff))


ALICE = principal(user_id=1001, username="alice")
BOB = principal(user_id=1002, username="bob")
STAFF = principal(user_id=1, username="admin", is_staff=True)


def test_order_list_gives_customer_only_their_own_orders():
    own = OrderFactory(user_id=1001)
    OrderFactory(user_id=1002, username="bob")

    assert list(order_list(principal=ALICE)) == [own]


def test_order_list_ignores_user_filter_for_customer():
    own = OrderFactory(user_id=1001)
    OrderFactory(user_id=1002, username="bob")

    assert list(order_list(principal=ALICE, user_id=1002)) == [own]


def test_order_list_gives_staff_everyone_and_narrows_by_user():
    alices = OrderFactory(user_id=1001)
    bobs = OrderFactory(user_id=1002, username="bob")

    assert set(order_list(principal=STAFF)) == {alices, bobs}
    assert list(order_list(principal=STAFF, user_id=1002)) == [bobs]


def test_order_list_filters_by_status():
    paid = OrderFactory(user_id=1001, status=OrderStatus.PAID)
    OrderFactory(user_id=1001, status=OrderStatus.CANCELLED)

    assert list(order_list(principal=ALICE, status=OrderStatus.PAID)) == [paid]


def test_order_get_for_user_gives_owner_the_order_with_details_in_3_queries(
    django_assert_num_queries,
):
    order = OrderFactory(user_id=1001, status=OrderStatus.PAID)

    # The order, its lines, its history: however many lines and changes there are.
    with django_assert_num_queries(3):
        found = order_get_for_user(order_id=order.id, principal=ALICE)
        line_count = len(found.lines.all())
        statuses = [change.status for change in found.history.all()]

    assert found == order
    assert line_count == 2
    assert statuses == ["pending", "awaiting_payment", "paid"]


def test_order_get_for_user_gives_staff_anyones_order():
    order = OrderFactory(user_id=1002, username="bob")

    assert order_get_for_user(order_id=order.id, principal=STAFF) == order


@pytest.mark.parametrize(
    "order_id_of",
    [lambda order: order.id, lambda order: uuid.uuid4()],
    ids=["someone_elses_order", "no_such_order"],
)
def test_order_get_for_user_answers_not_found_alike_for_foreign_and_missing(order_id_of):
    order = OrderFactory(user_id=1001)

    with pytest.raises(OrderNotFound) as raised:
        order_get_for_user(order_id=order_id_of(order), principal=BOB)

    assert raised.value.status_code == 404
    assert raised.value.message == "Not found."
