"""URLs of the inventory service: its API plus what every service serves (see shop.urls)."""

from django.urls import include, path

from shop.urls import service_urlpatterns

urlpatterns = service_urlpatterns("inventory", [path("api/", include("inventory.api.urls"))])

handler404 = "shop.api.errors.not_found"
handler500 = "shop.api.errors.server_error"
