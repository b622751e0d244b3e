"""Routes of the orders API, mounted under `api/` by orders.urls."""

from django.urls import path

from orders.api.views import OrderCancelView, OrderDetailView, OrderListView, OrderPayView

urlpatterns = [
    path("orders/", OrderListView.as_view(), name="order-list"),
    path("orders/<uuid:order_id>/", OrderDetailView.as_view(), name="order-detail"),
    path("orders/<uuid:order_id>/pay/", OrderPayView.as_view(), name="order-pay"),
    path("orders/<uuid:order_id>/cancel/", OrderCancelView.as_view(), name="order-cancel"),
]
