"""The URLs of the service under test plus `/test-broken/`, a view with a bug; no handler404
or handler500 of its own, so Django's defaults (HTML pages) are what the shop must turn into
its JSON."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a view")


urlpatterns = [path("test-broken/", broken), path("", include(f"{settings.SHOP_SERVICE}.urls"))]
