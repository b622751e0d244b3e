"""One JSON view: about the size of a product's detail."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

BODY = {
    "id": 1,
    "sku": "REFERENCE-1",
    "name": "Reference item",
    "price": "10.00",
    "currency": "USD",
    "is_active": True,
}


def reference(request: HttpRequest) -> JsonResponse:
    return JsonResponse(BODY)


urlpatterns = [path("django/", reference)]
