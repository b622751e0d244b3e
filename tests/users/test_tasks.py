"""The users worker consumes exactly the tasks the contract addresses to users."""

from shop.messaging.contract import MESSAGES_BY_TASK


def test_registered_users_tasks_are_the_contracts_users_tasks():
    import users.tasks  # noqa: F401 - registers the tasks, as the worker's autodiscovery does
    from workers.app import app

    registered = {name for name in app.tasks if name.startswith("users.")}

    assert registered == {name for name in MESSAGES_BY_TASK if name.startswith("users.")}
    assert registered  # the contract does address users


def test_users_tasks_are_found_by_the_workers_autodiscovery():
    from workers.app import app

    app.loader.import_default_modules()

    assert "users.notification_send" in app.tasks
