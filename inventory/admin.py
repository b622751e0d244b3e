"""The inventory admin: levels are read-only; staff change them only through `stock_adjust`."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from inventory import services
from inventory.models import Reservation, ReservationLine, StockMovement, StockRecord
from inventory.services import MAX_ADJUSTMENT_UNITS
from shop.admin import ReadOnlyAdmin, ReadOnlyInline
from shop.errors import DomainError, InvalidInput

LOW_STOCK_UNITS = 10


class AvailabilityFilter(admin.SimpleListFilter):
    title = "availability"
    parameter_name = "availability"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [
            ("out", "Out of stock"),
            ("low", f"Low (1 to {LOW_STOCK_UNITS} available)"),
            ("in", f"In stock (more than {LOW_STOCK_UNITS} available)"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        records = queryset.alias(available_units=F("on_hand") - F("reserved"))
        if self.value() == "out":
            return records.filter(available_units__lte=0)
        if self.value() == "low":
            return records.filter(available_units__gt=0, available_units__lte=LOW_STOCK_UNITS)
        if self.value() == "in":
            return records.filter(available_units__gt=LOW_STOCK_UNITS)
        return None


class HasReservationsFilter(admin.SimpleListFilter):
    title = "reservations"
    parameter_name = "has_reservations"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Some reserved"), ("no", "None reserved")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        if self.value() == "yes":
            return queryset.filter(reserved__gt=0)
        if self.value() == "no":
            return queryset.filter(reserved=0)
        return None


class StockAdjustForm(forms.Form):
    delta = forms.IntegerField(
        min_value=-MAX_ADJUSTMENT_UNITS,
        max_value=MAX_ADJUSTMENT_UNITS,
        help_text="Units to add (positive) or remove (negative).",
    )
    reason = forms.CharField(max_length=200, help_text="Why the stock level changes.")


@admin.register(StockRecord)
class StockRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "product_id",
        "sku",
        "is_product_active",
        "on_hand",
        "reserved",
        "available",
        "updated_at",
    ]
    list_filter = [AvailabilityFilter, HasReservationsFilter, "is_product_active", "updated_at"]
    search_fields = ["sku", "=product_id"]
    fields = [*list_display, "ledger"]
    readonly_fields = fields

    # Read-only: records come from the products service's product-created events; levels
    # change only through `stock_adjust` (the action below) and the order saga, so that every
    # change is in the ledger.
    def has_adjust_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("inventory.adjust_stockrecord")

    @admin.display(description="available")
    def available(self, record: StockRecord) -> int:
        return record.available

    @admin.display(description="ledger")
    def ledger(self, record: StockRecord) -> str:
        url = reverse("admin:inventory_stockmovement_changelist")
        query = urlencode({"stock_record__id__exact": record.pk})
        return format_html('<a href="{}?{}">{} movements</a>', url, query, record.movements.count())

    def get_urls(self) -> list[URLPattern]:
        adjust = path(
            "<path:object_id>/adjust/",
            self.admin_site.admin_view(self.adjust_view),
            name="inventory_stockrecord_adjust",
        )
        return [adjust, *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "has_adjust_permission": self.has_adjust_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def adjust_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_adjust_permission(request):
            raise PermissionDenied
        record = self.get_object(request, object_id)
        if record is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        form = StockAdjustForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                record = services.stock_adjust(
                    product_id=record.product_id,
                    delta=form.cleaned_data["delta"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user.get_username(),
                )
            except InvalidInput as error:
                for field, field_errors in error.errors.items():
                    for message in field_errors:
                        form.add_error(field, message)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request,
                    f"Adjusted {record}: {record.on_hand} on hand, {record.reserved} reserved.",
                    messages.SUCCESS,
                )
                change_url = reverse("admin:inventory_stockrecord_change", args=[record.pk])
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Adjust stock of {record}",
            "opts": self.opts,
            "original": record,
            "form": form,
        }
        return TemplateResponse(request, "admin/inventory/stockrecord/adjust.html", context)


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    """The ledger, read-only: movements are never added, changed or deleted by hand."""

    list_display = [
        "created_at",
        "stock_record",
        "kind",
        "delta_on_hand",
        "delta_reserved",
        "on_hand_after",
        "reserved_after",
        "order_id",
        "actor",
        "reason",
    ]
    list_filter = ["kind", "created_at"]
    list_select_related = ["stock_record"]
    search_fields = ["stock_record__sku", "=stock_record__product_id", "=order_id", "actor"]
    date_hierarchy = "created_at"


class ReservationLineInline(ReadOnlyInline):
    model = ReservationLine
    fields = ["product_id", "quantity"]
    readonly_fields = fields


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    """Reservations, read-only: only the order saga's messages create and move them."""

    list_display = ["order_id", "status", "reason", "created_at", "updated_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["=order_id"]
    date_hierarchy = "created_at"
    fields = ["order_id", "status", "reason", "created_at", "updated_at", "ledger"]
    readonly_fields = fields
    inlines = [ReservationLineInline]

    @admin.display(description="ledger")
    def ledger(self, reservation: Reservation) -> str:
        url = reverse("admin:inventory_stockmovement_changelist")
        query = urlencode({"q": str(reservation.order_id)})
        return format_html('<a href="{}?{}">movements of this order</a>', url, query)
