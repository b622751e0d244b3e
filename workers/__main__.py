"""`python -m workers <service> worker|beat|relay [extra celery options]`.

- worker: consumes the service's queue (`-Q <service>`), under the service's settings;
- beat:   the service's periodic tasks (its CELERY_BEAT_SCHEDULE); run exactly one per service;
- relay:  publishes the service's outbox to the broker (only what its processes did not publish
          after commit themselves, where SHOP_OUTBOX_PUBLISH_ON_COMMIT is on).
"""

import os
import sys

from shop import SERVICES

ROLES = ("worker", "beat", "relay")


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[0] not in SERVICES or argv[1] not in ROLES:
        sys.stderr.write(f"usage: python -m workers <{'|'.join(SERVICES)}> <{'|'.join(ROLES)}>\n")
        sys.exit(2)
    service, role, extra = argv[0], argv[1], argv[2:]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"{service}.settings")
    # No health check query before each task, whatever the web processes' setting: a task that
    # finds its connection broken fails, is retried, and gets a new one.
    os.environ["DJANGO_CONN_HEALTH_CHECKS"] = "false"
    # The threads pool cannot interrupt a task at its time limit; a statement that waits longer
    # than the soft limit (a lock held elsewhere, say) fails instead, and the task is retried.
    if role == "worker":
        os.environ.setdefault(
            "DJANGO_STATEMENT_TIMEOUT_SECONDS",
            os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT_SECONDS", "30"),
        )

    import django

    django.setup()
    from django.conf import settings

    from workers.app import app

    # The banners Celery prints are no log lines: with JSON logs, every output line is JSON.
    quiet = ["--quiet"] if settings.LOG_FORMAT == "json" else []
    if role == "relay":
        from shop.messaging.relay import relay_forever

        relay_forever(app=app)
    elif role == "worker":
        # Beat embedded in the worker (Celery's --beat, the local stack's layout): its schedule
        # file where the beat process keeps it.
        if "--beat" in extra:
            extra += ["--schedule", _beat_schedule_file(service)]
        app.worker_main(
            [
                *quiet,
                "worker",
                "--queues",
                service,
                "--hostname",
                f"{service}@%h",
                "--loglevel",
                "INFO",
                # Workers of one service share nothing but the queue: the cluster chatter these
                # turn off (gossip, heartbeat events every 2 s) was most of an idle worker's CPU.
                # The broker's own heartbeats still detect a dead peer. Mingle (a start-up sync)
                # stays: its second of waiting lets RabbitMQ drop the exclusive control queue of
                # a worker of the same name that was just killed, which would otherwise make
                # the new one exit.
                "--without-gossip",
                "--without-heartbeat",
                *extra,
            ]
        )
    else:
        app.start(
            [
                *quiet,
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                _beat_schedule_file(service),
                *extra,
            ]
        )


def _beat_schedule_file(service: str) -> str:
    from django.conf import settings

    directory = settings.VAR_DIR / "beat"
    directory.mkdir(parents=True, exist_ok=True)
    return str(directory / f"{service}-schedule")


if __name__ == "__main__":
    main(sys.argv[1:])
