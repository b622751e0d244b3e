"""The staff sign-on ends everywhere within seconds, through the gateway of the real stack:
signing out (anywhere), a deactivated account and an account no longer staff leave no
copy of the SSO cookie that opens any admin."""

import re
import time
import uuid
from html.parser import HTMLParser

import pytest
import requests

from shop import SERVICES
from tests.harness import STAFF, Shop

COOKIE = "shop_sso"
# What "within seconds" means here: a sign-out travels to the users service as a message.
WITHIN_SECONDS = 5.0


class FormFields(HTMLParser):
    """The fields a browser would submit from the page's form with id `form_id`."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.select: str | None = None
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.inside = attributes.get("id") == self.form_id
        if not self.inside or "disabled" in attributes:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            if kind not in ("submit", "button", "file"):
                default = "on" if kind in ("checkbox", "radio") else ""
                self.fields.append((name, attributes.get("value", default)))
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in attributes:
            self.fields.append((self.select, attributes.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match[1]


def signed_in_browser(shop: Shop, username: str, password: str) -> requests.Session:
    browser = requests.Session()
    login = f"{shop.stack.gateway_url}/admin/users/login/"
    page = browser.get(login, params={"next": "/admin/users/"}, timeout=10)
    response = browser.post(
        login,
        params={"next": "/admin/users/"},
        data={
            "csrfmiddlewaretoken": csrf_token(page.text),
            "username": username,
            "password": password,
        },
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text
    assert browser.cookies.get(COOKIE)
    return browser


def copy_of(browser: requests.Session) -> requests.Session:
    """Someone who got hold of the SSO cookie's value, and of nothing else."""
    thief = requests.Session()
    thief.cookies.set(COOKIE, browser.cookies[COOKIE])
    return thief


def admins_opened(shop: Shop, browser: requests.Session) -> set[str]:
    opened = set()
    for service in SERVICES:
        response = browser.get(
            f"{shop.stack.gateway_url}/admin/{service}/", allow_redirects=False, timeout=10
        )
        if response.status_code == 200:
            opened.add(service)
        else:
            assert response.status_code == 302, (service, response.status_code)
            assert "/login/" in response.headers["Location"]
    return opened


def seconds_until_no_admin_opens(shop: Shop, browser: requests.Session) -> float:
    started = time.monotonic()
    while admins_opened(shop, browser):
        elapsed = time.monotonic() - started
        assert elapsed < WITHIN_SECONDS, f"still open after {elapsed:.1f} s"
        time.sleep(0.2)
    return time.monotonic() - started


@pytest.fixture
def colleague(shop: Shop) -> str:
    """A second staff member (a superuser, with the suite's staff password)."""
    username = f"ops-{uuid.uuid4().hex[:6]}"
    shop.stack.manage(
        "users",
        "createsuperuser",
        "--noinput",
        "--username",
        username,
        "--email",
        f"{username}@example.com",
    )
    return username


def test_a_copied_cookie_opens_nothing_once_its_browser_signed_out_elsewhere(shop, colleague):
    browser = signed_in_browser(shop, colleague, STAFF[1])
    thief = copy_of(browser)
    assert admins_opened(shop, thief) == set(SERVICES)

    # Signing out on products, not on the users service.
    page = browser.get(f"{shop.stack.gateway_url}/admin/products/", timeout=10)
    response = browser.post(
        f"{shop.stack.gateway_url}/admin/products/logout/",
        data={"csrfmiddlewaretoken": csrf_token(page.text)},
        headers={"Referer": f"{shop.stack.gateway_url}/admin/products/"},
        timeout=10,
    )
    assert response.status_code == 200

    seconds_until_no_admin_opens(shop, thief)
    assert admins_opened(shop, browser) == set()


@pytest.mark.parametrize("change", ["deactivated", "no_longer_staff"])
def test_an_account_that_loses_its_access_is_signed_out_of_every_admin(shop, colleague, change):
    colleagues_browser = signed_in_browser(shop, colleague, STAFF[1])
    thief = copy_of(colleagues_browser)
    assert admins_opened(shop, colleagues_browser) == set(SERVICES)
    # given staff change the account in the users admin
    staff = signed_in_browser(shop, *STAFF)
    ((user_id,),) = shop.query(
        "users", "SELECT id FROM users_user WHERE username = %s", (colleague,)
    )
    change_page = f"{shop.stack.gateway_url}/admin/users/users/user/{user_id}/change/"
    form = FormFields("user_form")
    form.feed(staff.get(change_page, timeout=10).text)
    dropped = {"deactivated": {"is_active"}, "no_longer_staff": {"is_staff", "is_superuser"}}
    fields = [(name, value) for name, value in form.fields if name not in dropped[change]]
    response = staff.post(
        change_page,
        data=[*fields, ("_save", "Save")],
        headers={"Referer": change_page},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, re.findall(r"errorlist.{0,300}", response.text, re.S)

    # then neither the colleague's own browser nor a copy of its cookie opens any admin
    seconds_until_no_admin_opens(shop, thief)
    assert admins_opened(shop, colleagues_browser) == set()
    assert admins_opened(shop, staff) == set(SERVICES)
