"""Staff see orders in the admin as a read-only record: lines and timeline, nothing editable."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse, reverse_lazy

from orders.models import Order, OrderStatus
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse_lazy("admin:orders_order_changelist")


def admin_url(action: str, order: Order) -> str:
    return reverse(f"admin:orders_order_{action}", args=[order.pk])


@pytest.fixture
def admin_browser() -> Client:
    # The admin signs in with a session; the account itself is the users service's concern.
    superuser = get_user_model().objects.create(username="admin", is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(superuser)
    return browser


def test_admin_lists_and_filters_orders_by_status(admin_browser):
    paid = OrderFactory(status=OrderStatus.PAID)
    cancelled = OrderFactory(status=OrderStatus.CANCELLED)

    response = admin_browser.get(CHANGELIST_URL, {"status__exact": "paid"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [paid]
    assert cancelled not in response.context["cl"].result_list


@pytest.mark.parametrize(
    "search_of",
    [lambda order: str(order.id), lambda order: str(order.id)[:8], lambda order: order.username],
    ids=["whole_id", "id_prefix", "username"],
)
def test_admin_finds_order_by_id_prefix_or_username(admin_browser, search_of):
    wanted = OrderFactory(user_id=3003, username="carol")
    OrderFactory(user_id=1001, username="alice")

    response = admin_browser.get(CHANGELIST_URL, {"q": search_of(wanted)})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [wanted]


def test_admin_order_page_shows_lines_and_timeline_read_only(admin_browser):
    order = OrderFactory(status=OrderStatus.PAID, lines=[{"sku": "MUG-1", "name": "Mug"}])

    response = admin_browser.get(admin_url("change", order))

    assert response.status_code == 200
    page = response.content.decode()
    assert "MUG-1" in page
    assert "payment captured" in page
    assert 'name="_save"' not in page
    assert 'name="total"' not in page


def test_admin_refuses_to_change_add_or_delete_orders(admin_browser):
    order = OrderFactory()
    total_before = order.total

    changed = admin_browser.post(admin_url("change", order), {"total": "0.01", "status": "paid"})
    added = admin_browser.get(reverse("admin:orders_order_add"))
    deleted = admin_browser.post(admin_url("delete", order), {"post": "yes"})

    assert (changed.status_code, added.status_code, deleted.status_code) == (403, 403, 403)
    order.refresh_from_db()
    assert (order.status, order.total) == (OrderStatus.AWAITING_PAYMENT, total_before)
    assert total_before > Decimal("0.00")
