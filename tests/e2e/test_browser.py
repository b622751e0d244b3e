"""A staff member in a real (headless) Chromium: one sign-in, every service's admin, the
browsable API and the docs, all through the gateway and all with their CSS. Screenshots are
saved under test-artifacts/e2e/screenshots/."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from shop import SERVICES
from tests.harness import ROOT, STAFF

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = (
    Path(os.environ.get("SHOP_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "e2e" / "screenshots"
)
# Without these, headless Chromium keeps trying to reach Google's services from a machine
# that has no route to them.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVICE_CHANGELISTS = {
    "users": "/admin/users/users/user/",
    "products": "/admin/products/products/product/",
    "orders": "/admin/orders/orders/order/",
    "inventory": "/admin/inventory/inventory/stockrecord/",
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def staff_page(browser: Browser, shop) -> Iterator[Page]:
    shop.new_product(stock=2)  # something to see in the change lists
    context = browser.new_context(base_url=shop.stack.gateway_url)
    page = context.new_page()
    page.goto("/admin/products/")
    # Not signed in: every admin sends the browser to the users service's sign-in page.
    assert "/admin/users/login/" in page.url
    page.fill("#id_username", STAFF[0])
    page.fill("#id_password", STAFF[1])
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/products/")
    yield page
    context.close()


def stylesheets_loaded(page: Page) -> list[str]:
    """The hrefs of the page's stylesheets that the browser actually loaded and parsed."""
    return page.evaluate(
        "() => Array.from(document.styleSheets)"
        ".filter(sheet => { try { return sheet.cssRules.length > 0 } catch (e) { return false } })"
        ".map(sheet => sheet.href)"
    )


@pytest.mark.parametrize("service", SERVICE_CHANGELISTS)
def test_one_sign_in_opens_every_services_admin_with_its_css(staff_page: Page, service: str):
    staff_page.goto(SERVICE_CHANGELISTS[service])

    staff_page.wait_for_selector("#changelist")
    header_color = staff_page.eval_on_selector(
        "#header", "element => getComputedStyle(element).backgroundColor"
    )
    staff_page.screenshot(path=SCREENSHOTS / f"admin-{service}.png", full_page=True)

    assert any(
        f"/static/{service}/admin/css/base.css" in href for href in stylesheets_loaded(staff_page)
    )
    # Unstyled, the header would be transparent.
    assert header_color not in ("rgba(0, 0, 0, 0)", "transparent")
    assert staff_page.locator("#user-tools").inner_text().upper().count(STAFF[0].upper()) == 1


@pytest.mark.parametrize(
    ("service", "path"),
    [("products", "/api/products/"), ("orders", "/api/orders/"), ("inventory", "/api/inventory/")],
)
def test_browsable_api_shows_the_signed_in_staff_member_with_css(staff_page: Page, service, path):
    staff_page.goto(path)

    staff_page.wait_for_selector(".response-info")
    staff_page.screenshot(path=SCREENSHOTS / f"browsable-{service}.png", full_page=True)

    assert any("bootstrap" in (href or "") for href in stylesheets_loaded(staff_page))
    assert STAFF[0] in staff_page.locator(".navbar").inner_text()
    assert "HTTP 200 OK" in staff_page.locator(".response-info").inner_text()


@pytest.mark.parametrize("service", SERVICES)
def test_docs_page_renders_the_services_operations(staff_page: Page, service: str):
    staff_page.goto(f"/api/docs/{service}/")

    staff_page.wait_for_selector(".swagger-ui .opblock", timeout=15_000)
    staff_page.screenshot(path=SCREENSHOTS / f"docs-{service}.png", full_page=True)

    assert staff_page.locator(".swagger-ui .opblock").count() >= 1
    assert any("swagger-ui" in (href or "") for href in stylesheets_loaded(staff_page))
