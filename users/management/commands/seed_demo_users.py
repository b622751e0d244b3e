"""Create the demo staff account and demo customer that `make run` prints; idempotent."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from users.models import User

DEMO_ACCOUNTS = (
    # (username, email, password, is_staff)
    ("admin", "admin@shop.example", "shop-admin-demo", True),
    ("customer", "customer@shop.example", "shop-customer-demo", False),
)


class Command(BaseCommand):
    help = "Create the demo staff account and the demo customer unless they exist."

    def handle(self, *args, **options) -> None:
        if settings.IS_PRODUCTION:
            # Their passwords are printed in the README: in production they would be a
            # superuser anyone can sign in as.
            raise CommandError(
                "Refusing to create the demo accounts in production (DJANGO_ENV=production): "
                "their passwords are public. Create staff with `users createsuperuser`."
            )
        for username, email, password, is_staff in DEMO_ACCOUNTS:
            if User.objects.filter(username__iexact=username).exists():
                continue
            User.objects.create_user(
                username=username,
                email=email,
                password=password,
                is_staff=is_staff,
                is_superuser=is_staff,
            )
            self.stdout.write(f"created demo account {username}")
