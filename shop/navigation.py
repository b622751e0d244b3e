"""What every service's pages need to name the shop and reach its other parts."""

from django.conf import settings
from django.http import HttpRequest

from shop import SERVICES


def shop_pages(request: HttpRequest) -> dict[str, object]:
    """Template context: this service's name and every service's admin (gateway paths)."""
    return {
        "shop_service": settings.SHOP_SERVICE,
        "shop_admins": [(service, f"/admin/{service}/") for service in SERVICES],
    }
