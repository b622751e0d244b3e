"""The catalog in the Django admin. Every write goes through `products.services`, so the admin
obeys the same rules as the API (and a product changed here is changed like any other)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from products import services
from products.models import Category, Product
from shop.errors import InvalidInput


class CategoryAdminForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["name", "slug", "parent"]

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        try:
            services.category_check_parent(
                category=self.instance, parent=cleaned_data.get("parent")
            )
        except InvalidInput as error:
            raise ValidationError(error.errors) from error
        return cleaned_data


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = CategoryAdminForm
    list_display = ["name", "slug", "parent"]
    list_select_related = ["parent"]
    list_filter = [("parent", admin.EmptyFieldListFilter)]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def save_model(
        self, request: HttpRequest, obj: Category, form: forms.ModelForm, change: bool
    ) -> None:
        parent = form.cleaned_data.get("parent")
        data = {
            "name": form.cleaned_data["name"],
            "slug": form.cleaned_data["slug"],
            "parent_id": parent.pk if parent else None,
        }
        if change:
            services.category_update(category=obj, data=data)
        else:
            obj.pk = services.category_create(**data).pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Category) -> None:
        services.category_delete(category=obj)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "price", "currency", "category", "is_active", "updated_at"]
    list_display_links = ["sku", "name"]
    list_filter = ["is_active", "category", "created_at"]
    list_select_related = ["category"]
    search_fields = ["sku", "name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["currency", "version", "created_at", "updated_at"]
    fields = [
        "sku",
        "name",
        "slug",
        "description",
        "price",
        "currency",
        "category",
        "is_active",
        "version",
        "created_at",
        "updated_at",
    ]
    actions = ["deactivate", "reactivate"]
    date_hierarchy = "created_at"

    def has_delete_permission(self, request: HttpRequest, obj: Product | None = None) -> bool:
        # Orders reference products for their history: taking one off sale is the only removal.
        return False

    def save_model(
        self, request: HttpRequest, obj: Product, form: forms.ModelForm, change: bool
    ) -> None:
        data = {
            field: form.cleaned_data[field] for field in services.PRODUCT_FIELDS - {"category_id"}
        }
        category = form.cleaned_data.get("category")
        data["category_id"] = category.pk if category else None
        if change:
            services.product_update(product=obj, data=data)
        else:
            obj.pk = services.product_create(**data).pk
        obj.refresh_from_db()

    @admin.action(description="Deactivate selected products (take them off sale)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        for product in queryset.filter(is_active=True):
            services.product_deactivate(product=product)
        self.message_user(request, "The selected products are inactive.", messages.SUCCESS)

    @admin.action(description="Reactivate selected products")
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        for product in queryset.filter(is_active=False):
            services.product_update(product=product, data={"is_active": True})
        self.message_user(request, "The selected products are active.", messages.SUCCESS)
