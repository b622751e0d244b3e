"""Signed-in customers' catalog reads, answered from this process's cache before the request
path: what a customer reads most, and what every customer sees alike.

A product list page or a product that the view rendered for a customer with a Bearer token is
kept for PRODUCTS_CATALOG_CACHE_SECONDS, status, headers and bytes, under everything the bytes
depend on: the Accept header (the renderer and its `indent`) and the absolute URL (the list's
next and previous links are absolute, and the query picks the page). The next customer who
asks the same within that time is answered here, after the token is checked and before the
rest of the middleware, DRF and the view: for a page already rendered, those cost three times
what answering it does. The request is still logged under its id, and counted in
django-prometheus's request totals and latency (its first middleware, outside this one); its
per-view series count what reached a view, as with the gateway's own cache.

Only customers: staff see inactive products too, and get a fresh answer every time; anonymous
reads are the gateway's cache's (it cannot cache a request with a token); a browser signed in
by its session gets a fresh answer. The view says which answers may be kept (`keep_for_customers`):
JSON only, 200 only, never one that sets a cookie. Each process has its own cache (LocMem):
nothing is shared or invalidated between processes, so the short lifetime is the whole
freshness rule (products/settings.py says why it keeps API.md's 2 seconds).
"""

import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response
from rest_framework.exceptions import APIException
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication

# The cache (products/settings.py CACHES) of customers' catalog reads.
CATALOG_CACHE = "catalog"
CATALOG_PATH_PREFIX = "/api/products/"
_KEEP = "shop_keep_for_customers"
_TOKEN_AUTHENTICATION = JWTStatelessUserAuthentication()


def keep_for_customers(response: HttpResponseBase) -> None:
    """Let CatalogCacheMiddleware keep this answer for other customers (the view's decision:
    the answer is the same for every signed-in customer)."""
    setattr(response, _KEEP, True)


class CatalogCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        seconds = settings.PRODUCTS_CATALOG_CACHE_SECONDS
        if not (
            seconds > 0
            and request.method == "GET"
            and request.path.startswith(CATALOG_PATH_PREFIX)
            and _is_customer(request)
        ):
            return self.get_response(request)
        question = f"{request.META.get('HTTP_ACCEPT', '')} {request.build_absolute_uri()}"
        key = hashlib.sha256(question.encode()).hexdigest()
        kept = caches[CATALOG_CACHE].get(key)
        if kept is not None:
            return _answer(request, *kept)
        response = self.get_response(request)
        if (
            getattr(response, _KEEP, False)
            and response.status_code == 200
            and isinstance(response, HttpResponse)
            and not response.cookies
        ):
            caches[CATALOG_CACHE].set(
                key, (list(response.items()), response.content), timeout=seconds
            )
        return response


def _is_customer(request: HttpRequest) -> bool:
    """Whether the request carries a valid access token of a customer (not staff). A missing,
    expired or forged token is not: the request takes the whole path, which answers it."""
    try:
        authenticated = _TOKEN_AUTHENTICATION.authenticate(request)
    except APIException:
        return False
    if authenticated is None:
        return False
    user: Any = authenticated[0]
    return not user.is_staff


def _answer(
    request: HttpRequest, headers: list[tuple[str, str]], content: bytes
) -> HttpResponseBase:
    response = HttpResponse(content)
    for name, value in headers:
        response[name] = value
    # A client that has these bytes already gets 304, as from the view.
    return get_conditional_response(request, etag=response.get("ETag"), response=response)
