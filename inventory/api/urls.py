"""The inventory API, mounted under `api/`."""

from django.urls import path

from inventory.api import views

urlpatterns = [
    path("inventory/", views.StockListView.as_view(), name="stock-list"),
    path("inventory/<int:product_id>/", views.StockDetailView.as_view(), name="stock-detail"),
    path(
        "inventory/<int:product_id>/adjust/",
        views.StockAdjustView.as_view(),
        name="stock-adjust",
    ),
    path(
        "inventory/<int:product_id>/movements/",
        views.StockMovementListView.as_view(),
        name="stock-movements",
    ),
]
