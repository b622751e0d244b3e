"""Staff's view of orders: read-only, since every change of an order goes through its services."""

from django.contrib import admin
from django.http import HttpRequest

from orders.models import Order, OrderLine, OrderStatusChange


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ("product_id", "sku", "name", "unit_price", "quantity", "line_total")
    readonly_fields = fields


class OrderStatusChangeInline(ReadOnlyInline):
    model = OrderStatusChange
    verbose_name = "status change"
    verbose_name_plural = "timeline"
    fields = ("at", "status", "reason")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("id", "username", "user_id", "status", "total", "currency", "created_at")
    list_filter = ("status", "created_at")
    # `id` with icontains matches a pasted prefix of the UUID as well as the whole one.
    search_fields = ("id", "username", "user_id__exact")
    date_hierarchy = "created_at"
    readonly_fields = (
        "id",
        "user_id",
        "username",
        "status",
        "total",
        "currency",
        "shipping_address",
        "reserved_until",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields
    inlines = (OrderLineInline, OrderStatusChangeInline)

    # Prices and totals are what the customer agreed to, and a status changed by hand would
    # skip releasing or committing stock; orders are only ever written by orders.services.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False
