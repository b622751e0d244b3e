import unicodedata

from django.contrib.auth.validators import UnicodeUsernameValidator
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from users.models import User, validate_username_not_reserved

# Django hashes whatever it is given; a bound keeps a megabyte "password" from costing a
# megabyte of PBKDF2 per attempt.
PASSWORD_MAX_LENGTH = 128


class UsernameField(serializers.CharField):
    """NFKC-normalized before any check, as Django's own `UsernameField` does: the fullwidth
    or ligature spelling of a name is that name, reserved or taken alike."""

    def to_internal_value(self, data) -> str:
        return unicodedata.normalize("NFKC", super().to_internal_value(data))


class UserRegisterInputSerializer(serializers.Serializer):
    username = UsernameField(
        max_length=150, validators=[UnicodeUsernameValidator(), validate_username_not_reserved]
    )
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        max_length=PASSWORD_MAX_LENGTH, write_only=True, trim_whitespace=False
    )
    phone = PhoneNumberField(required=False, allow_blank=True, default="")


class UserUpdateInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254, required=False)
    phone = PhoneNumberField(required=False, allow_blank=True)


class UserPublicOutputSerializer(serializers.ModelSerializer):
    phone = PhoneNumberField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "email", "phone"]
        read_only_fields = fields


class UserOutputSerializer(serializers.ModelSerializer):
    phone = PhoneNumberField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "email", "phone", "date_joined", "is_staff"]
        read_only_fields = fields


class TokenObtainInputSerializer(serializers.Serializer):
    username = UsernameField(max_length=150)
    password = serializers.CharField(
        max_length=PASSWORD_MAX_LENGTH, write_only=True, trim_whitespace=False
    )


class RefreshTokenInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class TokenPairOutputSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
