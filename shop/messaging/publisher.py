"""Publishing a recorded message right after its transaction commits, from the process that
recorded it (SHOP_OUTBOX_PUBLISH_ON_COMMIT); the relay sweeps up whatever this misses.

The outbox stays the only source of truth: a message counts as sent only once the broker
confirmed it and its row says so. This process publishes from a thread of its own, so no request
or task waits for the broker, and marks what the broker confirmed sent in batches. Whatever it
could not publish (the broker away, the process killed, its queue full) is still unsent in the
table, and the relay publishes it once it is older than SHOP_OUTBOX_SWEEP_AFTER_SECONDS. A
message published here whose mark was lost (killed between the confirm and the mark) is
published again by the relay under the same id, and consumers deduplicate on it.

Measured (README, Benchmark): the relay's round per message (woken by NOTIFY, a locking SELECT,
the publish, an UPDATE and a commit, in a process of its own) cost more CPU than the publish.
"""

import atexit
import contextlib
import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from celery import Celery
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from kombu import Producer

from shop.messaging.models import OutboxMessage

logger = logging.getLogger(__name__)


class Recorded(Protocol):
    """What publishing needs of a recorded message: an outbox row, or the relay's read of one."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def task_name(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...
    @property
    def headers(self) -> dict[str, Any]: ...


def send_recorded(app: Celery, producer: Producer, message: Recorded) -> None:
    """Publish one recorded message as the Celery task it names, under its own id (what
    consumers deduplicate on); returns once the broker confirmed it."""
    app.send_task(
        message.task_name,
        kwargs=message.payload,
        task_id=str(message.id),
        headers=message.headers,
        producer=producer,
        retry=False,
        # Celery copies a repr of the arguments into every message's headers for monitors to
        # show: it cost ten times what the rest of the message did, and it would put the
        # payload (an email's context, say) where a monitor shows it. The payload is the body.
        argsrepr="",
        kwargsrepr="",
    )


_TABLE = OutboxMessage._meta.db_table


def mark_sent(ids: list[uuid.UUID]) -> None:
    """Set `sent_at` on these rows, in the caller's transaction (SQL: see the relay)."""
    if not ids:
        return
    id_field = OutboxMessage._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_TABLE} SET sent_at = %s "  # noqa: S608 - our table, values are parameters
            f"WHERE id IN ({', '.join(['%s'] * len(ids))})",
            [
                connection.ops.adapt_datetimefield_value(timezone.now()),
                *(id_field.get_db_prep_value(message_id, connection) for message_id in ids),
            ],
        )


# Bounds on what one process holds in memory: beyond them, messages wait for the relay.
QUEUE_SIZE = 10_000
BATCH_SIZE = 100
# Marks are written together, at most this long after the broker's confirm: one UPDATE for
# many messages, instead of a statement and a commit for each. The relay's sweep waits far
# longer than this before it takes a message for missed.
MARK_EVERY_SECONDS = 0.5
# After a failed publish the thread leaves new messages to the relay this long, doubling up
# to the cap: a broker that is away is not asked again for every message.
PAUSE_SECONDS = 1.0
PAUSE_MAX_SECONDS = 30.0


class Publisher:
    """One per process: a thread that publishes the messages this process committed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # The thread makes the app at its first message: in a process that publishes (never in
        # gunicorn's master, whose connections its forked workers would share).
        self.app_factory: Callable[[], Celery] = publishing_app
        self.app: Celery | None = None
        self._reset(pid=0)

    def _reset(self, pid: int) -> None:
        self.pid = pid
        self.queue: queue.Queue[Recorded | None] = queue.Queue(QUEUE_SIZE)
        self.thread: threading.Thread | None = None
        self.paused_until = 0.0
        self.pause = PAUSE_SECONDS
        self.confirmed: list[uuid.UUID] = []

    def submit(self, messages: Sequence[Recorded]) -> None:
        """Publish these committed messages soon; never blocks, never raises."""
        if time.monotonic() < self.paused_until:
            return  # the broker failed a moment ago: the relay publishes them
        self._ensure_running()
        for message in messages:
            try:
                self.queue.put_nowait(message)
            except queue.Full:
                return  # the relay publishes the rest

    def _ensure_running(self) -> None:
        # After a fork (gunicorn's and Celery's prefork workers) the thread of the parent is
        # gone and its queue is a copy: each process starts its own.
        if self.pid == os.getpid() and self.thread is not None and self.thread.is_alive():
            return
        with self.lock:
            if self.pid != os.getpid():
                self._reset(pid=os.getpid())
                atexit.register(self.stop)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self._run, name="outbox-publisher", daemon=True
                )
                self.thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Write the marks of what was confirmed, at exit (the relay would publish it again)."""
        if self.thread is None or not self.thread.is_alive():
            return
        with contextlib.suppress(queue.Full):
            self.queue.put_nowait(None)
        self.thread.join(timeout)

    def _run(self) -> None:
        marked_at = time.monotonic()
        try:
            while True:
                wait = max(marked_at + MARK_EVERY_SECONDS - time.monotonic(), 0.0)
                batch = self._next_batch(timeout=wait if self.confirmed else None)
                if batch is None:
                    break
                self._publish(batch)
                if self.confirmed and time.monotonic() >= marked_at + MARK_EVERY_SECONDS:
                    self._mark()
                    marked_at = time.monotonic()
        finally:
            self._mark()
            connection.close()

    def _next_batch(self, timeout: float | None) -> list[Recorded] | None:
        """Up to BATCH_SIZE messages; [] when `timeout` passed first; None when stopping."""
        try:
            first = self.queue.get(timeout=timeout)
        except queue.Empty:
            return []
        batch = [first]
        while len(batch) < BATCH_SIZE:
            try:
                batch.append(self.queue.get_nowait())
            except queue.Empty:
                break
        if None in batch:
            self._publish([message for message in batch if message is not None])
            return None
        return [message for message in batch if message is not None]

    def _publish(self, batch: list[Recorded]) -> None:
        published = 0
        # Twice: a connection idle for long (a quiet service) has been closed by the broker
        # for its missed heartbeats, and fails at once; a new one is tried before giving up.
        for attempt in (1, 2):
            try:
                app = self._app()
                with app.producer_or_acquire() as producer:
                    for message in batch[published:]:
                        send_recorded(app, producer, message)
                        self.confirmed.append(message.id)
                        published += 1
                self.pause = PAUSE_SECONDS
                return
            except Exception as error:  # the transport's errors vary; all mean "not sent"
                self._discard_app()
                if attempt == 2:
                    logger.warning(
                        "could not publish after commit (%r); the relay publishes the rest",
                        error,
                    )
        self.paused_until = time.monotonic() + self.pause
        self.pause = min(self.pause * 2, PAUSE_MAX_SECONDS)
        self._drop_queued()

    def _app(self) -> Celery:
        if self.app is None:
            self.app = self.app_factory()
        return self.app

    def _discard_app(self) -> None:
        """Its pooled connections may be broken: the next publish connects afresh."""
        if self.app is not None:
            with contextlib.suppress(Exception):
                self.app.close()
        self.app = None

    def _drop_queued(self) -> None:
        with contextlib.suppress(queue.Empty):
            while True:
                if self.queue.get_nowait() is None:
                    self.queue.put_nowait(None)  # stopping: keep the signal for the loop
                    return

    def _mark(self) -> None:
        if not self.confirmed:
            return
        try:
            mark_sent(self.confirmed)
            self.confirmed = []
        except DatabaseError as error:
            # Kept for the next round; the connection is replaced. Marks lost for good (this
            # process killed) only cost a duplicate publish by the relay.
            logger.warning("could not mark published messages sent (%r)", error)
            connection.close()
            del self.confirmed[:-QUEUE_SIZE]


def publishing_app() -> Celery:
    """A Celery app for publishing only, configured from the settings as the workers' is
    (broker, confirms, queues, routes), in every kind of process: web processes have none."""
    app = Celery("shop-publisher", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    return app


PUBLISHER = Publisher()


def publish_on_commit(messages: Sequence[Recorded]) -> None:
    """Hand `messages`, recorded in the current transaction, to this process's publisher once
    that transaction commits (nothing if it rolls back)."""
    if settings.SHOP_OUTBOX_PUBLISH_ON_COMMIT:
        transaction.on_commit(lambda: PUBLISHER.submit(messages))
