"""The inventory admin shows levels, reservations and the ledger; it changes levels only via
`stock_adjust`."""

import uuid

import pytest
from django.contrib.auth.models import Permission

from inventory import services
from inventory.models import Reservation, StockMovement
from shop.messaging.contract import StockLine
from tests.inventory.factories import StockMovementFactory, StockRecordFactory
from tests.inventory.snapshots import snapshot

pytestmark = pytest.mark.django_db

RECORDS_URL = "/admin/inventory/inventory/stockrecord/"
MOVEMENTS_URL = "/admin/inventory/inventory/stockmovement/"


@pytest.fixture
def superuser_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", password=None)
    client.force_login(user)
    return client


@pytest.fixture
def viewer_client(client, django_user_model):
    """Staff who may look at stock but not adjust it."""
    user = django_user_model.objects.create_user("viewer", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="view_stockrecord"),
        Permission.objects.get(codename="view_stockmovement"),
    )
    client.force_login(user)
    return client


def adjust_url(record) -> str:
    return f"{RECORDS_URL}{record.pk}/adjust/"


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"q": "MUG"},
        {"q": "42"},
        {"q": "not-a-number"},
        {"availability": "out"},
        {"availability": "low"},
        {"availability": "in"},
        {"has_reservations": "yes"},
        {"has_reservations": "no"},
    ],
)
def test_stock_record_list_renders_searches_and_filters(superuser_client, record, query):
    response = superuser_client.get(RECORDS_URL, query)

    assert response.status_code == 200


def test_stock_record_search_by_product_id_finds_it(superuser_client, record):
    StockRecordFactory(product_id=4242, sku="OTHER")

    response = superuser_client.get(RECORDS_URL, {"q": "42"})

    assert list(response.context["cl"].result_list) == [record]


def test_stock_record_page_shows_levels_read_only_with_a_link_to_adjust(superuser_client, record):
    response = superuser_client.get(f"{RECORDS_URL}{record.pk}/change/")

    content = response.content.decode()
    assert response.status_code == 200
    assert 'name="on_hand"' not in content
    assert 'name="reserved"' not in content
    assert adjust_url(record) in content
    assert f"stock_record__id__exact={record.pk}" in content


def test_stock_record_levels_cannot_be_posted_directly(superuser_client, record):
    before = snapshot(record)

    response = superuser_client.post(
        f"{RECORDS_URL}{record.pk}/change/", {"on_hand": 999, "reserved": 0}
    )

    assert response.status_code == 403
    assert snapshot(record) == before


@pytest.mark.parametrize("url", [f"{RECORDS_URL}add/", f"{MOVEMENTS_URL}add/"])
def test_nothing_is_added_by_hand(superuser_client, url):
    assert superuser_client.get(url).status_code == 403


def test_stock_records_and_movements_cannot_be_deleted(superuser_client):
    movement = StockMovementFactory()

    record_response = superuser_client.post(
        f"{RECORDS_URL}{movement.stock_record.pk}/delete/", {"post": "yes"}
    )
    movement_response = superuser_client.post(
        f"{MOVEMENTS_URL}{movement.pk}/delete/", {"post": "yes"}
    )

    assert (record_response.status_code, movement_response.status_code) == (403, 403)
    assert StockMovement.objects.filter(pk=movement.pk).exists()


def test_adjust_form_adjusts_through_the_service_and_records_who(superuser_client, record):
    assert superuser_client.get(adjust_url(record)).status_code == 200

    response = superuser_client.post(adjust_url(record), {"delta": "4", "reason": "Delivery"})

    assert response.status_code == 302
    assert snapshot(record).on_hand == 14
    movement = StockMovement.objects.get(stock_record=record)
    assert (movement.delta_on_hand, movement.on_hand_after, movement.actor) == (4, 14, "root")


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"delta": "-8", "reason": "Broken"}, "reserved for orders"),
        ({"delta": "0", "reason": "Count"}, "must change the stock level"),
        ({"delta": "2000000", "reason": "Count"}, "less than or equal to"),
        ({"delta": "5", "reason": ""}, "required"),
    ],
)
def test_adjust_form_shows_a_refusal_and_changes_nothing(superuser_client, record, form, message):
    before = snapshot(record)

    response = superuser_client.post(adjust_url(record), form)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert snapshot(record) == before


def test_adjust_form_of_an_unknown_record_redirects(superuser_client):
    response = superuser_client.get(f"{RECORDS_URL}999999/adjust/")

    assert response.status_code == 302


def test_staff_without_the_adjust_permission_cannot_adjust(viewer_client, record):
    before = snapshot(record)

    page = viewer_client.get(f"{RECORDS_URL}{record.pk}/change/")
    response = viewer_client.post(adjust_url(record), {"delta": "4", "reason": "Delivery"})

    assert page.status_code == 200
    assert adjust_url(record) not in page.content.decode()
    assert response.status_code == 403
    assert snapshot(record) == before


def test_ledger_list_and_movement_page_render_read_only(superuser_client, record):
    movement = StockMovementFactory(stock_record=record, reason="Delivery")

    listing = superuser_client.get(MOVEMENTS_URL, {"stock_record__id__exact": record.pk})
    search = superuser_client.get(MOVEMENTS_URL, {"q": "MUG"})
    page = superuser_client.get(f"{MOVEMENTS_URL}{movement.pk}/change/")

    assert (listing.status_code, search.status_code, page.status_code) == (200, 200, 200)
    assert list(listing.context["cl"].result_list) == [movement]
    assert 'name="reason"' not in page.content.decode()


RESERVATIONS_URL = "/admin/inventory/inventory/reservation/"


@pytest.fixture
def reservation(record):
    services.stock_reserve(
        order_id="7c9e6679-7425-40de-944b-e07fc1f90ae7",
        lines=[StockLine(product_id=record.product_id, quantity=2)],
    )
    return Reservation.objects.get()


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"status__exact": "reserved"},
        {"status__exact": "rejected"},
        {"q": "7c9e6679-7425-40de-944b-e07fc1f90ae7"},
        {"q": "not-a-uuid"},
    ],
)
def test_reservation_list_renders_searches_and_filters(superuser_client, reservation, query):
    response = superuser_client.get(RESERVATIONS_URL, query)

    assert response.status_code == 200


def test_reservation_search_by_order_id_finds_it(superuser_client, reservation):
    services.stock_release(order_id=uuid.uuid4(), reason="cancelled")

    response = superuser_client.get(RESERVATIONS_URL, {"q": str(reservation.order_id)})

    assert list(response.context["cl"].result_list) == [reservation]


def test_reservation_filter_by_status(superuser_client, reservation):
    services.stock_release(order_id=uuid.uuid4(), reason="cancelled")

    response = superuser_client.get(RESERVATIONS_URL, {"status__exact": "reserved"})

    assert list(response.context["cl"].result_list) == [reservation]


def test_reservation_page_shows_its_lines_read_only(superuser_client, reservation):
    response = superuser_client.get(f"{RESERVATIONS_URL}{reservation.pk}/change/")

    content = response.content.decode()
    assert response.status_code == 200
    assert 'name="status"' not in content
    assert 'name="lines-0-quantity"' not in content
    assert f"{MOVEMENTS_URL}?q={reservation.order_id}" in content
    assert response.context["inline_admin_formsets"][0].formset.queryset.count() == 1


def test_reservations_cannot_be_added_changed_or_deleted(superuser_client, reservation):
    add = superuser_client.get(f"{RESERVATIONS_URL}add/")
    change = superuser_client.post(
        f"{RESERVATIONS_URL}{reservation.pk}/change/", {"status": "released"}
    )
    delete = superuser_client.post(f"{RESERVATIONS_URL}{reservation.pk}/delete/", {"post": "yes"})

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.RESERVED


def test_ledger_search_by_order_id_finds_the_orders_movements(superuser_client, reservation):
    StockMovementFactory()  # another product's adjustment

    response = superuser_client.get(MOVEMENTS_URL, {"q": str(reservation.order_id)})

    assert [movement.kind for movement in response.context["cl"].result_list] == ["reservation"]
