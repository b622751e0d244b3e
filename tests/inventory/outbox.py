"""What inventory sent: its outbox, each payload parsed by the contract as its consumer would."""

from shop.messaging.contract import MESSAGES_BY_TASK, Message
from shop.messaging.models import OutboxMessage


def sent_messages() -> list[Message]:
    """Every message in the outbox, oldest first, parsed with the contract of its task name.

    Parsing is the point: a payload the receiving service could not read fails the test here.
    """
    rows = OutboxMessage.objects.order_by("created_at", "id")
    return [MESSAGES_BY_TASK[row.task_name].from_payload(row.payload) for row in rows]
