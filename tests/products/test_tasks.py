"""Products consumes no task: it only publishes `ProductChanged`."""

from shop.messaging.contract import MESSAGES_BY_TASK


def test_products_registers_no_task_and_the_contract_addresses_none_to_it():
    from workers.app import app

    app.loader.import_default_modules()

    assert not [name for name in app.tasks if name.startswith("products.")]
    assert not [name for name in MESSAGES_BY_TASK if name.startswith("products.")]
