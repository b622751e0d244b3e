"""Celery entry points of the users service: thin, each calls one service."""

from shop.contract import USERS_NOTIFICATION_SEND, SendNotification
from shop.messaging.consumer import consumer
from users.notifications import notification_send


@consumer(USERS_NOTIFICATION_SEND)
def notification_send_task(message: SendNotification) -> None:
    """Email a user: sent by users itself on registration (`welcome`) and by orders when an
    order is paid, rejected or expires.

    Idempotency key: the message id (the outbox row's id), remembered in the inbox in the same
    transaction that finishes the handler, so a redelivered message sends nothing. At least
    once, though: a crash after the mail server took the email and before that commit sends it
    again. A missing or inactive user is done at once. Retry policy: the consumer's (backoff up
    to `SHOP_MESSAGE_MAX_DELIVERIES` deliveries, then dead and replayable by staff); that
    covers an unreachable mail server, and an unknown kind, which dies after those retries.
    """
    notification_send(user_id=message.user_id, kind=message.kind, context=message.context)
