"""Admin building blocks every service uses."""

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

# django-stubs makes the admin's classes generic over their models; Django's own take no
# subscript at run time, so the subscripted bases exist for the type checker only.
if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
    _TabularInline = admin.TabularInline[Any, Any]
else:
    _ModelAdmin = admin.ModelAdmin
    _TabularInline = admin.TabularInline


class ReadOnlyAdmin(_ModelAdmin):
    """A model staff may look at but not add, change or delete: rows the services' own
    functions write (through the saga, or with a ledger entry), never the admin's forms."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyInline(_TabularInline):
    """The same, for rows shown inside their parent's page."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
