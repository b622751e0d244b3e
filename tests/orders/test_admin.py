"""Staff see orders in the admin as a read-only record: lines and timeline, nothing editable."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse, reverse_lazy

from orders.models import Order, OrderStatus
from shop.messaging.contract import INVENTORY_STOCK_RELEASE
from shop.messaging.models import OutboxMessage
from tests.orders.factories import CatalogProductFactory, OrderFactory, PaymentFactory

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


def test_admin_order_page_shows_payments_without_card_numbers(admin_browser):
    order = OrderFactory(status=OrderStatus.PAID)
    PaymentFactory(order=order, status="declined", card_last4="0002", failure_reason="declined!")
    PaymentFactory(order=order, card_last4="4242", provider_reference="test_ch_abc")

    page = admin_browser.get(admin_url("change", order)).content.decode()

    assert "declined!" in page
    assert "test_ch_abc" in page
    assert "0002" in page


def test_admin_shows_the_catalog_copy_read_only(admin_browser):
    product = CatalogProductFactory(sku="LAMP-1", name="Lamp")
    change_url = reverse("admin:orders_catalogproduct_change", args=[product.pk])

    listed = admin_browser.get(reverse("admin:orders_catalogproduct_changelist"), {"q": "LAMP"})
    shown = admin_browser.get(change_url)
    changed = admin_browser.post(change_url, {"price": "0.01"})
    added = admin_browser.get(reverse("admin:orders_catalogproduct_add"))
    deleted = admin_browser.post(
        reverse("admin:orders_catalogproduct_delete", args=[product.pk]), {"post": "yes"}
    )

    assert list(listed.context["cl"].result_list) == [product]
    assert shown.status_code == 200
    assert 'name="price"' not in shown.content.decode()
    assert (changed.status_code, added.status_code, deleted.status_code) == (403, 403, 403)
    product.refresh_from_db()
    assert product.price == Decimal("10.00")


def test_admin_action_cancels_selected_orders_through_the_service(admin_browser):
    pending = OrderFactory(status=OrderStatus.PENDING)
    awaiting = OrderFactory(status=OrderStatus.AWAITING_PAYMENT)
    paid = OrderFactory(status=OrderStatus.PAID)

    response = admin_browser.post(
        CHANGELIST_URL,
        {
            "action": "cancel_selected",
            "_selected_action": [pending.pk, awaiting.pk, paid.pk],
        },
        follow=True,
    )

    assert response.status_code == 200
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {
        pending.pk: OrderStatus.CANCELLED,
        awaiting.pk: OrderStatus.CANCELLED,
        paid.pk: OrderStatus.PAID,
    }
    notes = [str(message) for message in response.context["messages"]]
    assert "2 order(s) cancelled." in notes
    assert any(str(paid.pk) in note and "is paid" in note for note in notes)
    releases = OutboxMessage.objects.filter(task_name=INVENTORY_STOCK_RELEASE)
    assert sorted(row.payload["order_id"] for row in releases) == sorted(
        [str(pending.pk), str(awaiting.pk)]
    )
    assert awaiting.history.order_by("-id").first().reason == "cancelled by staff"


def test_admin_cancel_action_needs_the_cancel_permission():
    clerk = get_user_model().objects.create(username="clerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_order"))
    browser = Client()
    browser.force_login(clerk)
    order = OrderFactory()

    listed = browser.get(CHANGELIST_URL)
    response = browser.post(
        CHANGELIST_URL, {"action": "cancel_selected", "_selected_action": [order.pk]}
    )

    assert listed.status_code == 200
    assert "cancel_selected" not in listed.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert response.status_code in (200, 302)
