from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "shop.messaging"
    label = "messaging"
    verbose_name = "Messages"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from shop.messaging.metrics import MessagingCollector
        from shop.observability.metrics import collector_register

        collector_register(MessagingCollector())
