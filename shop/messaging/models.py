"""The outbox (messages this service has decided to send) and the inbox (messages it received)."""

import uuid

from django.db import models


class OutboxMessage(models.Model):
    """A message recorded in the same transaction as the change that causes it.

    The relay publishes it (with publisher confirms) and only then sets `sent_at`, so a crash
    or a broker outage delays a message but never loses it. The id becomes the Celery task id,
    which is what consumers deduplicate on.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_name = models.CharField(max_length=200)
    payload = models.JSONField()
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    publish_attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The relay's only query: the oldest unsent messages.
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="messaging_outbox_unsent_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} {self.id}"

    @property
    def is_sent(self) -> bool:
        return self.sent_at is not None


class InboxMessage(models.Model):
    """A message this service received, by its id: the record that makes consumers idempotent.

    `processed` is written in the same transaction as the handler's effect, so a redelivery of a
    processed message changes nothing. A message's first delivery inserts its row that way,
    already `processed`; every later delivery (a redelivery, a retry, a duplicate) is counted in
    `deliveries` before the handler runs, the first one included when it died uncounted, so a
    message that keeps failing, or keeps killing its worker, ends `dead` after a bounded number
    of deliveries instead of looping; staff can replay it from the admin. A message being
    handled for the first time has no row until it is done.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", "received"
        PROCESSED = "processed", "processed"
        DEAD = "dead", "dead (gave up)"
        # Rows that earlier releases replayed under a new id; a replay now makes the row
        # `received` again (see `shop.messaging.consumer.inbox_replay`).
        REPLAYED = "replayed", "replayed"

    message_id = models.UUIDField(primary_key=True)
    task_name = models.CharField(max_length=200)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    deliveries = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["status", "-received_at"], name="messaging_inbox_status_idx"),
            # What /metrics counts at every scrape (dead and retrying messages): the few rows
            # not processed, never the processed ones that pile up.
            models.Index(
                fields=["status"],
                condition=models.Q(status__in=["received", "dead"]),
                name="messaging_inbox_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} {self.message_id}"
