"""The pages people see name the shop and the service, and the admins link one another."""

import pytest

from shop import SERVICES
from tests.orders.test_sso import STAFF_ID, alice_browser, browser

pytestmark = pytest.mark.django_db


def test_the_admin_names_the_shop_and_links_every_services_admin():
    staff = browser(user_id=STAFF_ID, username="admin", is_staff=True)

    page = staff.get("/admin/orders/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "The shop · orders admin" in html
    assert "<title>Orders administration | The shop · orders</title>" in html
    assert "Django administration" not in html
    for other in set(SERVICES) - {"orders"}:
        assert f'href="/admin/{other}/"' in html
    assert 'href="/admin/orders/"' in html  # the site name itself


def test_the_browsable_api_names_the_shop_and_the_service():
    page = alice_browser().get("/api/orders/", HTTP_ACCEPT="text/html")

    html = page.content.decode()
    assert page.status_code == 200
    assert "The shop · orders API" in html
    assert "Django REST framework" not in html
