"""Celery entry points of the users service: thin, each calls one service."""

from shop.messaging.consumer import consumer
from shop.messaging.contract import (
    USERS_NOTIFICATION_SEND,
    USERS_SSO_REVOKE,
    SendNotification,
    SsoRevoked,
)
from users import services
from users.notifications import notification_send


@consumer(USERS_NOTIFICATION_SEND)
def on_send_notification(message: SendNotification) -> None:
    """Email a user: sent by users itself on registration (`welcome`) and by orders when an
    order is paid, rejected or expires.

    Idempotency key: the message id (the outbox row's id), remembered in the inbox in the same
    transaction that finishes the handler, so a redelivered message sends nothing. At least
    once, though: a crash after the mail server took the email and before that commit sends it
    again. A missing or inactive user is done at once. Retries: the consumer's policy, as for
    every message (shop.messaging.consumer); it covers an unreachable mail server, and an
    unknown kind, which dies after those retries.
    """
    notification_send(user_id=message.user_id, kind=message.kind, context=message.context)


@consumer(USERS_SSO_REVOKE)
def on_sso_revoked(message: SsoRevoked) -> None:
    """Remember a browser sign-in (SSO cookie) that ended, so that the gateway lets no copy
    of the cookie through any more (see `sso_check`).

    Trigger: a browser signed out on any service (`SsoRevoked`). Idempotency: the message id
    (inbox) and the unique `jti`. Retries: the consumer's policy, as for every message
    (shop.messaging.consumer).
    """
    services.sso_revocation_record(revocation=message)
