"""Routes of the orders API, mounted under `api/` by orders.urls."""

from django.urls import path

from orders.api.views import OrderDetailView, OrderListView

urlpatterns = [
    path("orders/", OrderListView.as_view(), name="order-list"),
    path("orders/<uuid:order_id>/", OrderDetailView.as_view(), name="order-detail"),
]
