"""Staff see what waits in the outbox and what died in the inbox, and can replay the dead."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from shop.admin import ReadOnlyAdmin
from shop.messaging.consumer import inbox_replay
from shop.messaging.models import InboxMessage, OutboxMessage


class SentFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(
        self, request: HttpRequest, model_admin: "admin.ModelAdmin[Any]"
    ) -> list[tuple[str, str]]:
        return [("waiting", "waiting"), ("sent", "sent"), ("failing", "waiting, with errors")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[OutboxMessage]
    ) -> QuerySet[OutboxMessage]:
        if self.value() == "waiting":
            return queryset.filter(sent_at__isnull=True)
        if self.value() == "sent":
            return queryset.filter(sent_at__isnull=False)
        if self.value() == "failing":
            return queryset.filter(sent_at__isnull=True, publish_attempts__gt=0)
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("task_name", "id", "created_at", "sent_at", "publish_attempts", "last_error")
    list_filter = (SentFilter, "task_name")
    search_fields = ("id", "task_name")
    date_hierarchy = "created_at"


@admin.register(InboxMessage)
class InboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("task_name", "message_id", "status", "deliveries", "received_at", "last_error")
    list_filter = ("status", "task_name")
    search_fields = ("message_id", "task_name")
    date_hierarchy = "received_at"
    actions = ("replay",)

    def has_replay_permission(self, request: HttpRequest) -> bool:
        # Replaying is the one change staff may make to received messages.
        return request.user.has_perm("messaging.change_inboxmessage")

    @admin.action(
        description="Replay the selected dead messages (each runs once more, under its own id)",
        permissions=["replay"],
    )
    def replay(self, request: HttpRequest, queryset: QuerySet[InboxMessage]) -> None:
        dead = queryset.filter(status=InboxMessage.Status.DEAD).values_list("message_id", flat=True)
        replayed = sum(inbox_replay(message_id=str(message_id)) for message_id in dead)
        self.message_user(request, f"{replayed} message(s) queued again.", messages.SUCCESS)
