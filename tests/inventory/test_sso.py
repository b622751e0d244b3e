"""Staff signed in on the users service use the inventory admin as themselves (SSO cookie)."""

import pytest
from django.test import Client

from inventory.models import StockMovement
from tests.inventory.snapshots import snapshot
from tests.tokens import sso_token

pytestmark = pytest.mark.django_db

RECORDS_URL = "/admin/inventory/inventory/stockrecord/"


def staff_browser() -> Client:
    client = Client()
    client.cookies["shop_sso"] = sso_token(user_id=4242, username="admin", is_staff=True)
    return client


def test_staff_cookie_adjusts_stock_in_the_admin_recorded_under_their_name(record):
    client = staff_browser()

    listed = client.get(RECORDS_URL)
    adjusted = client.post(f"{RECORDS_URL}{record.pk}/adjust/", {"delta": "4", "reason": "Count"})

    assert listed.status_code == 200
    assert adjusted.status_code == 302
    assert snapshot(record).on_hand == 14
    assert StockMovement.objects.get(stock_record=record).actor == "admin"


def test_login_page_sends_the_browser_to_the_users_service():
    response = Client().get("/admin/inventory/login/?next=/admin/inventory/")

    assert response["Location"] == "/admin/users/login/?next=/admin/inventory/"
