"""The saga under faults: contention, a broker outage, a killed worker, duplicates, poison."""

import signal
import threading
import time
import uuid

from tests.harness import connect, wait_for
from workers.app import app as celery_app


def invariant_holds(shop, product_id: int) -> bool:
    stock = shop.stock(product_id)
    return 0 <= stock["reserved"] <= stock["on_hand"]


def test_sixty_concurrent_orders_for_twenty_units_reserve_exactly_twenty(shop):
    product_id = shop.new_product(stock=20)
    tokens = [shop.new_customer() for _ in range(6)]
    order_ids: list[tuple[str, str]] = []
    lock = threading.Lock()
    violations: list[dict] = []
    placing_done = threading.Event()

    def place(token: str) -> None:
        for _ in range(10):
            order = shop.place(token, [{"product_id": product_id, "quantity": 1}])
            with lock:
                order_ids.append((token, order["id"]))

    def watch() -> None:
        while not placing_done.is_set():
            stock = shop.stock(product_id)
            if not 0 <= stock["reserved"] <= stock["on_hand"]:
                violations.append(stock)
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=place, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    settled = [
        shop.wait_status(token, order_id, "awaiting_payment", "rejected", timeout=30)["status"]
        for token, order_id in order_ids
    ]
    placing_done.set()
    watcher.join()

    assert len(order_ids) == 60
    assert settled.count("awaiting_payment") == 20
    assert settled.count("rejected") == 40
    assert violations == []
    stock = shop.stock(product_id)
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (20, 20, 0)
    reservations = [m for m in shop.movements(product_id) if m["kind"] == "reservation"]
    assert len(reservations) == 20


def test_orders_placed_while_rabbitmq_is_unreachable_settle_once_it_is_back(shop, customer):
    product_id = shop.new_product(stock=50)
    shop.broker.cut()
    try:
        placed = [
            shop.place(customer, [{"product_id": product_id, "quantity": 1}]) for _ in range(10)
        ]
        time.sleep(2)
        still_pending = [shop.order(customer, order["id"])["status"] for order in placed]
        waiting = shop.query(
            "orders", "SELECT count(*) FROM messaging_outboxmessage WHERE sent_at IS NULL"
        )
    finally:
        shop.broker.restore()
    settled = [
        shop.wait_status(customer, order["id"], "awaiting_payment", timeout=60)["status"]
        for order in placed
    ]

    assert still_pending == ["pending"] * 10
    assert waiting[0][0] >= 10
    assert settled == ["awaiting_payment"] * 10
    assert shop.stock(product_id)["reserved"] == 10


def test_worker_killed_mid_reservation_takes_effect_once_after_redelivery(shop, customer):
    product_id = shop.new_product(stock=5)
    # Hold the stock row, so that the reservation blocks inside its UPDATE, mid-task.
    blocker = connect(shop.database("inventory"))
    blocker.autocommit = False
    with blocker.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM inventory_stockrecord WHERE product_id = %s FOR UPDATE", (product_id,)
        )
    try:
        order = shop.place(customer, [{"product_id": product_id, "quantity": 2}])
        shop.wait_reservation_blocked()
        shop.stack.kill("inventory-worker")
    finally:
        blocker.rollback()
        blocker.close()
    shop.stack.start(["inventory-worker"])
    settled = shop.wait_status(customer, order["id"], "awaiting_payment", timeout=30)

    deliveries = shop.query(
        "inventory",
        "SELECT deliveries, status FROM messaging_inboxmessage"
        " WHERE task_name = 'inventory.stock_reserve' AND payload->>'order_id' = %s",
        (order["id"],),
    )
    assert settled["status"] == "awaiting_payment"
    assert deliveries == [(2, "processed")]
    assert shop.stock(product_id)["reserved"] == 2
    reservations = [
        m
        for m in shop.movements(product_id)
        if m["kind"] == "reservation" and m["order_id"] == order["id"]
    ]
    assert len(reservations) == 1


def test_a_message_delivered_twice_takes_effect_once(shop, customer):
    product_id = shop.new_product(stock=5)
    order = shop.place(customer, [{"product_id": product_id, "quantity": 1}])
    shop.wait_status(customer, order["id"], "awaiting_payment")
    (message_id, payload) = shop.query(
        "orders",
        "SELECT id, payload FROM messaging_outboxmessage"
        " WHERE task_name = 'inventory.stock_reserve' AND payload->>'order_id' = %s",
        (order["id"],),
    )[0]

    with celery_app.connection_for_write(shop.stack.config.env["CELERY_BROKER_URL"]) as connection:
        celery_app.send_task(
            "inventory.stock_reserve",
            kwargs=payload,
            task_id=str(message_id),
            connection=connection,
        )
    wait_for(
        lambda: shop.query(
            "inventory",
            "SELECT 1 FROM messaging_inboxmessage WHERE message_id = %s AND deliveries = 2",
            (str(message_id),),
        ),
        timeout=10,
        what="the duplicate to be delivered",
    )

    assert shop.stock(product_id)["reserved"] == 1
    assert shop.order(customer, order["id"])["status"] == "awaiting_payment"


def test_poison_message_ends_dead_after_bounded_deliveries_and_others_keep_flowing(shop, customer):
    poison_id = str(uuid.uuid4())
    # Well-formed by the contract, but its SKU is longer than inventory's column: the database
    # refuses it on every delivery.
    poison = {
        "product_id": 987654321,
        "version": 1,
        "sku": "X" * 5000,
        "name": "Poison",
        "price": "1.00",
        "currency": "USD",
        "is_active": True,
    }

    with celery_app.connection_for_write(shop.stack.config.env["CELERY_BROKER_URL"]) as connection:
        celery_app.send_task(
            "inventory.product_sync", kwargs=poison, task_id=poison_id, connection=connection
        )
    product_id = shop.new_product(stock=3)
    order = shop.place(customer, [{"product_id": product_id, "quantity": 1}])
    healthy = shop.wait_status(customer, order["id"], "awaiting_payment", timeout=15)
    dead = wait_for(
        lambda: shop.query(
            "inventory",
            "SELECT status, deliveries, last_error FROM messaging_inboxmessage"
            " WHERE message_id = %s AND status = 'dead'",
            (poison_id,),
        ),
        timeout=30,
        what="the poison message to be given up",
    )

    assert healthy["status"] == "awaiting_payment"
    (status, deliveries, last_error) = dead[0]
    assert (status, deliveries) == ("dead", 4)
    assert last_error
    assert invariant_holds(shop, product_id)


INVENTORY_PROCESSES = ("inventory-worker", "inventory-relay", "inventory-web")


def test_orders_placed_while_inventory_is_stopped_settle_when_it_is_back(shop, customer):
    product_id = shop.new_product(stock=10)
    # Its relay too, where it is a process of its own (SHOP_RELAY_IN_WORKER off).
    names = [name for name in INVENTORY_PROCESSES if name in shop.stack.processes]
    for name in names:
        shop.stack.kill(name, signal.SIGTERM)
    try:
        placed = [
            shop.place(customer, [{"product_id": product_id, "quantity": 1}]) for _ in range(5)
        ]
        time.sleep(1)
        while_stopped = [shop.order(customer, order["id"])["status"] for order in placed]
    finally:
        shop.stack.start(names)
    settled = [
        shop.wait_status(customer, order["id"], "awaiting_payment", timeout=30)["status"]
        for order in placed
    ]

    # Orders needs no synchronous answer from inventory: it keeps taking orders, and the
    # reservations wait in RabbitMQ for inventory's worker.
    assert while_stopped == ["pending"] * 5
    assert settled == ["awaiting_payment"] * 5
    assert shop.stock(product_id)["reserved"] == 5
