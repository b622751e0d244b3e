"""Card testing: declined payments are limited per order and per customer, and every decline
answers the same message, whatever the provider's reason."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Order, OrderStatus, Payment
from tests.orders.factories import OrderFactory
from tests.orders.helpers import DECLINING_CARD, SUCCEEDING_CARD, UNKNOWN_CARD, pay_url

pytestmark = pytest.mark.django_db

GENERIC_DECLINE = {"detail": "The card was declined."}


def pay(customer, order: Order, card: str):
    return customer.client().post(pay_url(order), {"card_number": card}, format="json")


@pytest.mark.parametrize("card", [DECLINING_CARD, UNKNOWN_CARD])
def test_every_decline_answers_one_generic_message(provider, customer, card):
    order = OrderFactory(user_id=customer.user_id)

    response = pay(customer, order, card)

    assert response.status_code == 402
    assert response.json() == GENERIC_DECLINE
    # Staff still see why, on the payment record.
    assert Payment.objects.get().failure_reason != ""


def test_an_order_declined_the_most_times_allowed_can_no_longer_be_paid(
    settings, provider, customer
):
    settings.ORDERS_MAX_DECLINED_PAYMENTS_PER_ORDER = 3
    order = OrderFactory(user_id=customer.user_id)
    for _ in range(3):
        assert pay(customer, order, DECLINING_CARD).status_code == 402

    refused = pay(customer, order, SUCCEEDING_CARD)

    assert refused.status_code == 409
    assert list(refused.json()) == ["detail"]
    assert "declined 3 times" in refused.json()["detail"]
    # Refused before the provider was asked, and nothing recorded.
    assert len(provider.charges) == 3
    assert Payment.objects.count() == 3
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT


def test_a_customer_declined_too_often_across_orders_is_throttled_with_retry_after(
    settings, provider, customer, other_customer
):
    settings.ORDERS_MAX_DECLINED_PAYMENTS_PER_ORDER = 2
    settings.ORDERS_MAX_DECLINED_PAYMENTS_PER_CUSTOMER = 4
    settings.ORDERS_DECLINED_PAYMENTS_WINDOW_SECONDS = 600
    orders = [OrderFactory(user_id=customer.user_id) for _ in range(3)]
    for order in orders[:2]:
        for _ in range(2):
            assert pay(customer, order, DECLINING_CARD).status_code == 402

    refused = pay(customer, orders[2], SUCCEEDING_CARD)

    assert refused.status_code == 429
    assert list(refused.json()) == ["detail"]
    assert 0 < int(refused["Retry-After"]) <= 600
    assert len(provider.charges) == 4
    assert Payment.objects.count() == 4
    # Another customer is not affected.
    others = OrderFactory(user_id=other_customer.user_id)
    assert pay(other_customer, others, SUCCEEDING_CARD).status_code == 200


def test_declines_older_than_the_window_no_longer_count(settings, provider, customer):
    settings.ORDERS_MAX_DECLINED_PAYMENTS_PER_CUSTOMER = 2
    settings.ORDERS_DECLINED_PAYMENTS_WINDOW_SECONDS = 600
    order = OrderFactory(user_id=customer.user_id)
    for _ in range(2):
        assert pay(customer, order, DECLINING_CARD).status_code == 402
    assert pay(customer, order, SUCCEEDING_CARD).status_code == 429

    Payment.objects.update(created_at=timezone.now() - timedelta(seconds=601))

    assert pay(customer, order, SUCCEEDING_CARD).status_code == 200
