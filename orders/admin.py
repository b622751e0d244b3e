"""Staff's view of orders: read-only, since every change of an order goes through its services."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from orders.models import CatalogProduct, Order, OrderLine, OrderStatusChange, Payment
from orders.services import order_cancel
from shop.admin import ReadOnlyAdmin, ReadOnlyInline
from shop.auth.tokens import Principal
from shop.errors import DomainError


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


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = (
        "created_at",
        "status",
        "amount",
        "currency",
        "card_last4",
        "provider_reference",
        "failure_reason",
    )
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
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
    inlines = (OrderLineInline, PaymentInline, OrderStatusChangeInline)
    actions = ("cancel_selected",)

    # Read-only: prices and totals are what the customer agreed to, and a status changed by
    # hand would skip releasing or committing stock; orders are only ever written by
    # orders.services (cancelling included, through the action below).
    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.cancel_order")

    @admin.action(description="Cancel selected orders", permissions=["cancel"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        # Each through order_cancel: the same guarded transition, history and stock release as
        # a customer's cancel; orders past cancelling are reported, not forced.
        principal = Principal.of(request.user)
        cancelled, refused = 0, []
        for order in queryset:
            try:
                order_cancel(order=order, principal=principal)
            except DomainError as error:
                refused.append(f"{order.pk}: {error.message}")
            else:
                cancelled += 1
        if cancelled:
            self.message_user(request, f"{cancelled} order(s) cancelled.", messages.SUCCESS)
        if refused:
            self.message_user(request, f"Not cancelled: {'; '.join(refused)}", messages.WARNING)


@admin.register(CatalogProduct)
class CatalogProductAdmin(ReadOnlyAdmin):
    """The copy kept from the products service's events: changed there, never here."""

    list_display = ("product_id", "sku", "name", "price", "currency", "is_active", "version")
    list_filter = ("is_active",)
    search_fields = ("sku", "name", "=product_id")
    readonly_fields = (
        "product_id",
        "version",
        "sku",
        "name",
        "price",
        "currency",
        "is_active",
        "updated_at",
    )
    fields = readonly_fields
