from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from orders.metrics import OrdersCollector
        from shop.observability.metrics import collector_register

        collector_register(OrdersCollector())
