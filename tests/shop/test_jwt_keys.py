"""Development keys (made once on first use, by exactly one of several starting processes), the
public keys that verify and their `kid`, and the token backend that chooses a key by it."""

import base64
import json
import stat
from concurrent.futures import ProcessPoolExecutor

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
from django.core.exceptions import ImproperlyConfigured
from rest_framework_simplejwt.exceptions import TokenBackendError

from shop.auth.keys import (
    PRIVATE_KEY_FILENAME,
    PUBLIC_KEY_FILENAME,
    ensure_dev_key_pair,
    key_id,
    key_id_of_pem,
    public_jwk,
    public_keys_from_pem,
)
from shop.auth.tokens import KeyedTokenBackend


def test_dev_key_pair_is_made_once_and_private_key_is_owner_only(tmp_path):
    ensure_dev_key_pair(tmp_path)
    first = (tmp_path / PRIVATE_KEY_FILENAME).read_bytes()

    ensure_dev_key_pair(tmp_path)

    assert (tmp_path / PRIVATE_KEY_FILENAME).read_bytes() == first
    assert stat.S_IMODE((tmp_path / PRIVATE_KEY_FILENAME).stat().st_mode) == 0o600


def test_processes_starting_together_agree_on_one_matching_pair(tmp_path):
    with ProcessPoolExecutor(max_workers=4) as pool:
        list(pool.map(ensure_dev_key_pair, [tmp_path] * 8))

    private = load_pem_private_key((tmp_path / PRIVATE_KEY_FILENAME).read_bytes(), None)
    public = load_pem_public_key((tmp_path / PUBLIC_KEY_FILENAME).read_bytes())
    assert private.public_key().public_numbers() == public.public_numbers()


def test_dev_keys_are_ignored_by_git():
    from pathlib import Path

    gitignore = (Path(__file__).resolve().parents[2] / ".gitignore").read_text()
    assert "/var/" in gitignore.splitlines()


# -- the public keys that verify, and their kid ------------------------------------------------

# RFC 7638, section 3.1: this key's thumbprint is the example's result.
RFC_7638_N = (
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
    "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY"
    "368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0f"
    "M4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
)
RFC_7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture(scope="module")
def old_key() -> rsa.RSAPrivateKey:
    return new_private_key()


@pytest.fixture(scope="module")
def next_key() -> rsa.RSAPrivateKey:
    return new_private_key()


def test_kid_is_the_rfc_7638_thumbprint():
    modulus = int.from_bytes(base64.urlsafe_b64decode(RFC_7638_N + "=="), "big")
    key = rsa.RSAPublicNumbers(e=65537, n=modulus).public_key()

    assert key_id(key) == RFC_7638_THUMBPRINT


def test_a_private_key_has_the_kid_of_its_public_half(old_key, next_key):
    assert key_id_of_pem(private_pem(old_key)) == key_id_of_pem(public_pem(old_key))
    assert key_id_of_pem(public_pem(old_key)) != key_id_of_pem(public_pem(next_key))


def test_a_bundle_gives_every_key_in_order_once(old_key, next_key):
    bundle = public_pem(old_key) + "\n" + public_pem(next_key) + public_pem(old_key)

    keys = public_keys_from_pem(bundle, variable="JWT_PUBLIC_KEY_FILE")

    assert [key_id_of_pem(pem) for pem in keys] == [
        key_id_of_pem(public_pem(old_key)),
        key_id_of_pem(public_pem(next_key)),
    ]


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (lambda key: "", "holds no PEM public key"),
        (lambda key: "not a key at all", "holds no PEM public key"),
        # A private key where the public ones go: refused, never published in the JWKS.
        (private_pem, "PEM block 1 is no public key"),
        (lambda key: public_pem(key) + _ec_public_pem(), "PEM block 2 is not an RSA key"),
        (lambda key: public_pem(rsa.generate_private_key(65537, 1024)), "of 2048"),  # noqa: S505
    ],
    ids=["empty", "garbage", "private_key", "ec_key", "short_rsa_key"],
)
def test_a_bad_public_key_file_fails_start_up_naming_the_variable(old_key, content, complaint):
    with pytest.raises(ImproperlyConfigured, match=complaint) as raised:
        public_keys_from_pem(content(old_key), variable="JWT_PUBLIC_KEY_FILE")

    assert "JWT_PUBLIC_KEY_FILE" in str(raised.value)


def _ec_public_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def test_jwk_is_the_public_key_named_by_its_kid(old_key):
    jwk = public_jwk(public_pem(old_key), algorithm="RS256")

    assert (jwk["kty"], jwk["use"], jwk["alg"]) == ("RSA", "sig", "RS256")
    assert jwk["kid"] == key_id(old_key)
    assert "d" not in jwk
    assert jwt.PyJWK(jwk).key.public_numbers() == old_key.public_key().public_numbers()


# -- the token backend: the kid chooses the key -------------------------------------------------


def backend(*, verifying: list[rsa.RSAPrivateKey], signing: rsa.RSAPrivateKey | None = None):
    return KeyedTokenBackend(
        public_keys=[public_pem(key) for key in verifying],
        signing_key=private_pem(signing) if signing else None,
        algorithm="RS256",
        audience="shop",
        issuer="shop-users",
    )


CLAIMS = {"token_type": "access", "user_id": "1", "exp": 4_000_000_000}


def test_a_token_names_the_key_that_signed_it(old_key, next_key):
    token = backend(verifying=[old_key, next_key], signing=next_key).encode(CLAIMS)

    assert jwt.get_unverified_header(token) == {
        "alg": "RS256",
        "kid": key_id(next_key),
        "typ": "JWT",
    }


def test_every_configured_key_verifies_the_tokens_it_signed(old_key, next_key):
    verifier = backend(verifying=[old_key, next_key])

    for signer in (old_key, next_key):
        token = backend(verifying=[signer], signing=signer).encode(CLAIMS)
        assert verifier.decode(token)["user_id"] == "1"


def test_a_retired_key_verifies_nothing(old_key, next_key):
    signed_by_old = backend(verifying=[old_key], signing=old_key).encode(CLAIMS)

    with pytest.raises(TokenBackendError):
        backend(verifying=[next_key]).decode(signed_by_old)


@pytest.mark.parametrize(
    "header",
    [{}, {"kid": "unknown"}, {"kid": 7}],
    ids=["no_kid", "unknown_kid", "kid_not_a_string"],
)
def test_a_token_naming_no_configured_key_is_invalid_even_if_a_key_would_verify_it(old_key, header):
    claims = {**CLAIMS, "aud": "shop", "iss": "shop-users"}
    token = jwt.encode(claims, private_pem(old_key), algorithm="RS256")
    if header:
        signing_input = f"{_b64({'alg': 'RS256', 'typ': 'JWT', **header})}.{_b64(claims)}"
        signature = old_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        token = f"{signing_input}.{_b64(signature)}"

    with pytest.raises(TokenBackendError):
        backend(verifying=[old_key]).decode(token)


def test_another_algorithm_with_the_right_key_and_kid_is_invalid(old_key):
    claims = {**CLAIMS, "aud": "shop", "iss": "shop-users"}
    token = jwt.encode(
        claims, private_pem(old_key), algorithm="RS512", headers={"kid": key_id(old_key)}
    )

    with pytest.raises(TokenBackendError, match="algorithm"):
        backend(verifying=[old_key]).decode(token)


def test_a_service_without_the_private_key_signs_nothing(old_key):
    with pytest.raises(TokenBackendError):
        backend(verifying=[old_key]).encode(CLAIMS)


def _b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
