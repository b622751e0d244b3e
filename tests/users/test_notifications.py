"""Emails: the welcome recorded with the registration, and the consumer that sends them once."""

import uuid

import pytest
from django.core import mail

from shop.errors import InvalidInput
from shop.messaging.consumer import RetryLater, consume
from shop.messaging.contract import (
    MESSAGES_BY_TASK,
    NOTIFICATION_KINDS,
    USERS_NOTIFICATION_SEND,
    SendNotification,
)
from shop.messaging.models import InboxMessage, OutboxMessage
from tests.users.factories import PASSWORD, UserFactory
from users import notifications, services
from users.models import User
from users.notifications import UnknownNotificationKind, notification_send
from users.tasks import on_send_notification

pytestmark = pytest.mark.django_db

ORDER_CONTEXT = {"order_id": "ord-4711", "total": "59.80", "currency": "USD", "reason": ""}


def deliver(payload: dict, message_id: str | None = None) -> InboxMessage.Status:
    """One delivery of a `users.notification_send` message through the task, as a worker runs
    it (in-process: a retry it asks for runs at once, not after its backoff)."""
    message_id = message_id or str(uuid.uuid4())
    on_send_notification.apply(kwargs=payload, task_id=message_id)
    return InboxMessage.objects.get(message_id=message_id).status


def deliver_once(payload: dict, message_id: str) -> InboxMessage.Status:
    """One delivery through the consumer with the task's handler, without the task's retries."""
    return consume(
        message_id=message_id,
        task_name=USERS_NOTIFICATION_SEND,
        payload=payload,
        message_class=SendNotification,
        handler=lambda message: notification_send(
            user_id=message.user_id, kind=message.kind, context=message.context
        ),
    )


# Registration


def test_registration_records_one_welcome_message_with_the_user():
    user = services.user_register(username="dave", email="dave@example.com", password=PASSWORD)

    (row,) = OutboxMessage.objects.all()
    assert row.task_name == USERS_NOTIFICATION_SEND
    assert MESSAGES_BY_TASK[row.task_name].from_payload(row.payload) == SendNotification(
        user_id=user.pk, kind="welcome", context={}
    )


def test_registration_through_the_api_records_the_welcome(client):
    response = client.post(
        "/api/auth/register/",
        {"username": "dave", "email": "dave@example.com", "password": PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 201
    (row,) = OutboxMessage.objects.all()
    assert row.payload["user_id"] == response.json()["id"]
    assert mail.outbox == []  # sent by the worker, never in the request


def test_refused_registration_records_nothing(client):
    UserFactory(username="dave")

    response = client.post(
        "/api/auth/register/",
        {"username": "DAVE", "email": "dave@example.com", "password": PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert not OutboxMessage.objects.exists()


def test_registration_losing_a_race_for_the_name_records_nothing(monkeypatch):
    UserFactory(username="dave")
    real_taken_errors = services._taken_errors
    checks = iter([{}])
    # The first check passes, as it would while a concurrent registration has not committed.
    monkeypatch.setattr(
        services, "_taken_errors", lambda **names: next(checks, None) or real_taken_errors(**names)
    )

    with pytest.raises(InvalidInput) as error:
        services.user_register(username="Dave", email="new@example.com", password=PASSWORD)

    assert set(error.value.errors) == {"username"}
    assert not OutboxMessage.objects.exists()
    assert User.objects.count() == 1


# Sending


def test_the_task_fed_one_message_twice_sends_one_email():
    user = UserFactory(email="dave@example.com")
    message_id = str(uuid.uuid4())
    payload = SendNotification(user_id=user.pk, kind="welcome").to_payload()

    on_send_notification.apply(kwargs=payload, task_id=message_id)
    on_send_notification.apply(kwargs=payload, task_id=message_id)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["dave@example.com"]
    assert InboxMessage.objects.get(message_id=message_id).status == InboxMessage.Status.PROCESSED


def test_welcome_greets_the_user_from_the_shop_address(settings):
    settings.DEFAULT_FROM_EMAIL = "hello@shop.example"
    user = UserFactory(username="dave", email="dave@example.com")

    assert deliver({"user_id": user.pk, "kind": "welcome"}) == InboxMessage.Status.PROCESSED

    (email,) = mail.outbox
    assert email.from_email == "hello@shop.example"
    assert "dave" in email.subject and "dave" in email.body


@pytest.mark.parametrize(
    ("kind", "in_subject", "in_body"),
    [
        ("order_paid", ["ord-4711", "paid"], ["ord-4711", "59.80 USD"]),
        ("order_rejected", ["ord-4711"], ["ord-4711", "out of stock"]),
        ("order_expired", ["ord-4711", "expired"], ["ord-4711", "59.80 USD"]),
    ],
)
def test_order_emails_name_the_order_and_what_happened(kind, in_subject, in_body):
    user = UserFactory(email="dave@example.com")
    context = {**ORDER_CONTEXT, "reason": "out of stock"}

    deliver({"user_id": user.pk, "kind": kind, "context": context})

    (email,) = mail.outbox
    assert all(text in email.subject for text in in_subject)
    assert all(text in email.body for text in in_body)


@pytest.mark.parametrize("kind", NOTIFICATION_KINDS)
def test_every_kind_of_the_contract_renders_a_one_line_subject_and_a_body(kind):
    user = UserFactory()

    subject, body = notifications.notification_render(user=user, kind=kind, context=ORDER_CONTEXT)

    assert subject and "\n" not in subject and "{" not in subject
    assert body.strip() and "{" not in body


def test_emails_are_plain_text_not_html_escaped():
    user = UserFactory()
    context = {"order_id": "A&B", "reason": "<sold out> & gone"}

    subject, body = notifications.notification_render(
        user=user, kind="order_rejected", context=context
    )

    assert "A&B" in subject
    assert "<sold out> & gone" in body


def test_context_cannot_readdress_the_email():
    user = UserFactory(username="dave")

    subject, _ = notifications.notification_render(
        user=user, kind="welcome", context={"user": "mallory"}
    )

    assert "dave" in subject and "mallory" not in subject


@pytest.mark.parametrize("state", ["missing", "inactive", "without email"])
def test_no_email_for_a_user_who_cannot_get_one_and_no_retry(state):
    user = UserFactory(
        is_active=state != "inactive", email="" if state == "without email" else "x@example.com"
    )
    user_id = user.pk + 1000 if state == "missing" else user.pk

    status = deliver({"user_id": user_id, "kind": "order_paid", "context": ORDER_CONTEXT})

    assert status == InboxMessage.Status.PROCESSED
    assert mail.outbox == []


def test_unknown_kind_is_refused_clearly():
    user = UserFactory()

    with pytest.raises(UnknownNotificationKind, match="'birthday'"):
        notification_send(user_id=user.pk, kind="birthday", context={})
    assert mail.outbox == []


def test_unknown_kind_ends_dead_at_once_for_staff_to_replay():
    user = UserFactory()
    message_id = str(uuid.uuid4())

    status = deliver({"user_id": user.pk, "kind": "birthday"}, message_id)

    inbox = InboxMessage.objects.get(message_id=message_id)
    assert (status, inbox.deliveries) == (InboxMessage.Status.DEAD, 1)
    assert "birthday" in inbox.last_error
    assert mail.outbox == []


def test_mail_server_failure_is_retried_and_then_sends_once(monkeypatch):
    user = UserFactory()
    message_id = str(uuid.uuid4())
    payload = {"user_id": user.pk, "kind": "welcome"}

    def unreachable(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    with monkeypatch.context() as patch:
        patch.setattr(notifications, "send_mail", unreachable)
        with pytest.raises(RetryLater):
            deliver_once(payload, message_id)
    deliver_once(payload, message_id)
    deliver_once(payload, message_id)

    assert len(mail.outbox) == 1
    assert InboxMessage.objects.get(message_id=message_id).deliveries == 3
