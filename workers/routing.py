"""Task routing: a task named `<service>.<entity>_<action>` goes to the queue `<service>`."""

from typing import Any

from shop import SERVICES


def route_by_service(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **_: Any):
    service = name.split(".", 1)[0]
    if service in SERVICES:
        return {"queue": service, "routing_key": service}
    return None
