"""The one account every person has in the shop: customers and staff alike."""

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from phonenumber_field.modelfields import PhoneNumberField

# `/api/users/me/` would shadow an account named "me".
RESERVED_USERNAMES = frozenset({"me"})


def validate_username_not_reserved(value: str) -> None:
    if value.lower() in RESERVED_USERNAMES:
        raise ValidationError("This username is reserved.")


class UserManager(DjangoUserManager):
    def get_by_natural_key(self, username: str | None) -> "User":
        # Usernames are unique ignoring case, so "Alice" signs in as "alice".
        return self.get(username__iexact=username)


class User(AbstractUser):
    email = models.EmailField("email address")
    phone = PhoneNumberField(blank=True, help_text="E.164, for example +14155550100.")

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="users_user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="users_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.username


class SsoRevocation(models.Model):
    """A browser sign-in (SSO cookie, see shop.auth.sso) that ended before its cookie runs out: it
    signed out on some service. The gateway asks this service about every request that carries
    a cookie (users.sign_on.sso_check), so a copy of it opens nothing from then on.

    Kept until `expires_at` (seconds since the epoch, the cookie's `exp`): a row past it names
    a cookie that is void anyway, and goes.
    """

    jti = models.CharField(max_length=64, unique=True)
    user_id = models.BigIntegerField()
    expires_at = models.BigIntegerField(db_index=True)
    revoked_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"sign-in {self.jti} of user {self.user_id}"
