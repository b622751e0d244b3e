"""Idempotent consumers: the one wrapper every cross-service task handler runs inside."""

import json
import logging
import math
from collections.abc import Callable
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from shop.messaging.contract import MESSAGES_BY_TASK, ContractError, Message
from shop.messaging.metrics import MESSAGES_CONSUMED
from shop.messaging.models import InboxMessage
from shop.messaging.outbox import outbox_replay

logger = logging.getLogger(__name__)

# Raised when the database itself is unreachable: worth waiting for however long it takes, since
# giving up would lose the message.
INFRASTRUCTURE_ERRORS = (OperationalError, InterfaceError)


def consumer(task_name: str) -> Callable[[Callable[[Any], None]], Task]:
    """Register `handler(message)` as the Celery task `task_name`, made idempotent.

    The handler runs in a transaction that also marks the message processed; a redelivered or
    duplicated message is acknowledged without running it again. A failing handler is retried
    with exponential backoff until the message has been delivered
    `SHOP_MESSAGE_MAX_DELIVERIES` times, then the message is marked dead for staff to replay.
    """
    message_class = MESSAGES_BY_TASK[task_name]

    def decorate(handler: Callable[[Any], None]) -> Task:
        def run(self: Task, **payload: Any) -> None:
            outcome = "failed"
            try:
                status = consume(
                    message_id=self.request.id,
                    task_name=task_name,
                    payload=payload,
                    message_class=message_class,
                    handler=handler,
                    first_delivery=is_first_delivery(self.request),
                    redelivered=is_redelivered(self.request),
                )
                outcome = "dead" if status == InboxMessage.Status.DEAD else "processed"
            except RetryLater as retry:
                outcome = "retried"
                # Whole seconds: on quorum queues the broker holds the retry for its countdown
                # (Celery's native delayed delivery), which counts in seconds and refuses less
                # than one.
                countdown = math.ceil(retry.countdown_seconds)
                raise self.retry(countdown=countdown, exc=retry.cause) from None
            finally:
                MESSAGES_CONSUMED.labels(task=task_name, outcome=outcome).inc()

        # Before registering: shared_task hands back a proxy whose docstring cannot be set.
        run.__doc__ = handler.__doc__
        run.__name__ = handler.__name__
        return shared_task(
            name=task_name,
            bind=True,
            acks_late=True,
            reject_on_worker_lost=True,
            max_retries=None,
            ignore_result=True,
        )(run)

    return decorate


class RetryLater(Exception):
    def __init__(self, cause: Exception, countdown_seconds: float) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.countdown_seconds = countdown_seconds


def is_redelivered(request: Any) -> bool:
    """Whether the broker delivered this message before (to a worker that died or lost its
    connection before acknowledging it). RabbitMQ flags every redelivery; the embedded broker
    redelivers nothing."""
    delivery_info = getattr(request, "delivery_info", None) or {}
    return bool(delivery_info.get("redelivered"))


def is_first_delivery(request: Any) -> bool:
    """Whether this message reaches a consumer for the first time: not redelivered, and not a
    retry (Celery sends a retry as a message of its own, under the same id)."""
    return not is_redelivered(request) and not getattr(request, "retries", 0)


def consume(
    *,
    message_id: str,
    task_name: str,
    payload: dict[str, Any],
    message_class: type[Message],
    handler: Callable[[Any], None],
    first_delivery: bool = False,
    redelivered: bool = False,
) -> InboxMessage.Status:
    """Run `handler` once per message id, whatever the number of deliveries.

    Returns what became of the message; raises `RetryLater` when it should come back.

    A message the broker delivers for the first time (`first_delivery`, nearly every one) is
    recorded as processed in the handler's own transaction: one INSERT and one commit. Every
    other delivery, and a first one whose id is recorded already (a duplicate, a replay), is
    counted in a commit of its own before the handler runs, so that a message that keeps killing
    its worker ends dead. A first delivery that died left no count: the broker's flag on its
    redelivery (`redelivered`) says that it happened, and it is counted then.
    """
    if first_delivery:
        outcome = _consume_first_delivery(
            message_id=message_id,
            task_name=task_name,
            payload=payload,
            message_class=message_class,
            handler=handler,
        )
        if outcome is not None:
            return outcome
    try:
        deliveries, status = _record_delivery(
            message_id, task_name, payload, uncounted=1 if redelivered else 0
        )
    except INFRASTRUCTURE_ERRORS as error:
        # Nothing recorded, nothing done: wait for the database, however long it takes.
        raise RetryLater(error, backoff_seconds(attempt=1, cap=60)) from error
    if status != InboxMessage.Status.RECEIVED:
        logger.info("skipping %s %s: already %s", task_name, message_id, status)
        return status
    if deliveries > settings.SHOP_MESSAGE_MAX_DELIVERIES:
        # Earlier deliveries died without recording an error: the message kills its worker.
        return _give_up(message_id, f"delivered {deliveries - 1} times without finishing")
    try:
        message = message_class.from_payload(payload)
    except ContractError as error:
        return _give_up(message_id, f"payload does not match {message_class.__name__}: {error}")

    try:
        with transaction.atomic():
            # Claiming the message and marking it processed are one conditional UPDATE: it
            # takes the row lock, so a concurrent duplicate delivery waits here, then finds the
            # message no longer `received` and runs nothing. A failing handler rolls the mark
            # back with its own effects.
            if not _claim(message_id):
                return _status(message_id)  # a concurrent duplicate delivery got here first
            handler(message)
    except INFRASTRUCTURE_ERRORS as error:
        raise RetryLater(error, backoff_seconds(attempt=deliveries, cap=60)) from error
    except Exception as error:
        return _handler_failed(message_id, task_name, error, deliveries=deliveries)
    return InboxMessage.Status.PROCESSED


def _consume_first_delivery(
    *,
    message_id: str,
    task_name: str,
    payload: dict[str, Any],
    message_class: type[Message],
    handler: Callable[[Any], None],
) -> InboxMessage.Status | None:
    """The first delivery's run: the inbox row is inserted as processed in the handler's
    transaction. None when the id is recorded already (the counted path decides) or the payload
    is malformed (the counted path gives it up, with a row to say why)."""
    try:
        message = message_class.from_payload(payload)
    except ContractError:
        return None
    try:
        with transaction.atomic():
            # A concurrent delivery of the same id waits here on the primary key until this
            # commits, then finds the row and takes the counted path, which skips it.
            if not _insert_processed(message_id, task_name, payload):
                return None
            handler(message)
    except INFRASTRUCTURE_ERRORS as error:
        # Nothing recorded, nothing done: wait for the database, however long it takes.
        raise RetryLater(error, backoff_seconds(attempt=1, cap=60)) from error
    except Exception as error:
        # Rolled back with the handler's effects: the delivery is recorded now, with its error.
        try:
            deliveries, _ = _record_delivery(message_id, task_name, payload, uncounted=0)
        except INFRASTRUCTURE_ERRORS as database_error:
            raise RetryLater(database_error, backoff_seconds(attempt=1, cap=60)) from error
        return _handler_failed(message_id, task_name, error, deliveries=deliveries)
    return InboxMessage.Status.PROCESSED


def _handler_failed(
    message_id: str, task_name: str, error: Exception, *, deliveries: int
) -> InboxMessage.Status:
    """What becomes of a message whose handler raised: dead, or `RetryLater`."""
    if isinstance(error, ContractError):
        # The handler found the message meaningless (an unknown kind, say): no retry mends it.
        return _give_up(message_id, f"refused by its handler: {error}")
    logger.error("%s %s failed on delivery %s", task_name, message_id, deliveries, exc_info=error)
    _record_error(message_id, error)
    if deliveries >= settings.SHOP_MESSAGE_MAX_DELIVERIES:
        return _give_up(message_id, f"failed {deliveries} times; last error: {error!r}")
    raise RetryLater(error, backoff_seconds(attempt=deliveries)) from error


def backoff_seconds(*, attempt: int, cap: float | None = None) -> float:
    base: float = settings.SHOP_MESSAGE_RETRY_BACKOFF_SECONDS
    limit: float = cap or settings.SHOP_MESSAGE_RETRY_BACKOFF_MAX_SECONDS
    # int ** int is Any to mypy (a negative exponent makes a float).
    delay: float = base * 2 ** (attempt - 1)
    return min(delay, limit)


def _record_delivery(
    message_id: str, task_name: str, payload: dict[str, Any], *, uncounted: int
) -> tuple[int, InboxMessage.Status]:
    """Count this delivery in its own committed statement, before the handler can crash.

    One upsert, whatever the number of deliveries: the first recorded inserts the row, every
    later one adds one to its count, and both read back the count and status they left. A
    redelivery inserting the row counts the `uncounted` first delivery too: that one ran
    without a count of its own (`_consume_first_delivery`) and died before its commit.
    """
    table = connection.ops.quote_name(InboxMessage._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} "  # noqa: S608 - the table name is ours, values are parameters
            "(message_id, task_name, payload, status, deliveries, last_error, received_at) "
            "VALUES (%s, %s, %s, %s, %s, '', %s) "
            f"ON CONFLICT (message_id) DO UPDATE SET deliveries = {table}.deliveries + 1 "
            "RETURNING deliveries, status",
            [
                _uuid_value(message_id),
                task_name,
                json.dumps(payload),
                InboxMessage.Status.RECEIVED,
                1 + uncounted,
                connection.ops.adapt_datetimefield_value(timezone.now()),
            ],
        )
        deliveries, status = cursor.fetchone()
    return deliveries, InboxMessage.Status(status)


def _insert_processed(message_id: str, task_name: str, payload: dict[str, Any]) -> bool:
    """Record a first delivery as processed, in the caller's transaction; whether this call
    inserted the row (False: the id is recorded already)."""
    table = connection.ops.quote_name(InboxMessage._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} "  # noqa: S608 - the table name is ours, values are parameters
            "(message_id, task_name, payload, status, deliveries, last_error, received_at, "
            "finished_at) VALUES (%s, %s, %s, %s, 1, '', %s, %s) "
            "ON CONFLICT (message_id) DO NOTHING",
            [
                _uuid_value(message_id),
                task_name,
                json.dumps(payload),
                InboxMessage.Status.PROCESSED,
                now,
                now,
            ],
        )
        inserted: int = cursor.rowcount
        return inserted == 1


def _claim(message_id: str) -> bool:
    """Mark a received message processed, in the caller's transaction; whether this call did.

    SQL, like `_record_delivery`: every message runs both, and the ORM took longer to build
    these two statements than PostgreSQL took to run them.
    """
    table = connection.ops.quote_name(InboxMessage._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, finished_at = %s "  # noqa: S608 - our table name
            "WHERE message_id = %s AND status = %s",
            [
                InboxMessage.Status.PROCESSED,
                connection.ops.adapt_datetimefield_value(timezone.now()),
                _uuid_value(message_id),
                InboxMessage.Status.RECEIVED,
            ],
        )
        updated: int = cursor.rowcount
        return updated == 1


def _uuid_value(message_id: str) -> str:
    """The message id as the database stores a UUIDField (SQLite keeps it as 32 hex digits)."""
    field = InboxMessage._meta.get_field("message_id")
    value: str = field.get_db_prep_value(message_id, connection)
    return value


def _status(message_id: str) -> InboxMessage.Status:
    status = InboxMessage.objects.filter(message_id=message_id).values_list("status", flat=True)
    return InboxMessage.Status(status.get())


def _record_error(message_id: str, error: Exception) -> None:
    try:
        InboxMessage.objects.filter(message_id=message_id).update(last_error=repr(error)[:2000])
    except DatabaseError:
        logger.exception("could not record the error of %s", message_id)


def inbox_replay(*, message_id: str) -> bool:
    """Let a dead message run once more, and send it again under its own id; whether this call
    did (False: it is not dead, or a concurrent replay took it).

    The inbox row goes back to `received` with no deliveries counted, in the transaction that
    records the message in the outbox: its next delivery runs the handler with a full budget of
    deliveries, and once that run is processed every further copy is skipped as a duplicate.
    """
    with transaction.atomic():
        # Guarded, so a double click replays once.
        inbox = (
            InboxMessage.objects.select_for_update()
            .filter(message_id=message_id, status=InboxMessage.Status.DEAD)
            .first()
        )
        if inbox is None:
            return False
        inbox.status = InboxMessage.Status.RECEIVED
        inbox.deliveries = 0
        inbox.finished_at = None
        inbox.last_error = f"replayed; it had died of: {inbox.last_error}"[:2000]
        inbox.save(update_fields=["status", "deliveries", "finished_at", "last_error"])
        outbox_replay(
            message_id=str(inbox.message_id), task_name=inbox.task_name, payload=inbox.payload
        )
    return True


def _give_up(message_id: str, reason: str) -> InboxMessage.Status:
    logger.error("message %s is dead: %s", message_id, reason)
    InboxMessage.objects.filter(message_id=message_id, status=InboxMessage.Status.RECEIVED).update(
        status=InboxMessage.Status.DEAD, last_error=reason[:2000], finished_at=timezone.now()
    )
    return InboxMessage.Status.DEAD
