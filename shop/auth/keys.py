"""Where the JWT keys come from (files named by the environment; in development a pair made by
`python -m shop.auth.keys DIRECTORY`, which `make run` and the test suites run) and what names
them (their `kid`).

The users service signs with one private key; every service verifies with a set of public keys,
so that a new key can be published before it signs and an old one kept until no token it signed
is still alive (deploy/README.md, "Rotating the signing key").
"""

import base64
import fcntl
import hashlib
import json
import os
import re
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from django.core.exceptions import ImproperlyConfigured
from jwt.algorithms import RSAAlgorithm

RSA_KEY_SIZE_BITS = 2048
PRIVATE_KEY_FILENAME = "jwt-private.pem"
PUBLIC_KEY_FILENAME = "jwt-public.pem"


def ensure_dev_key_pair(directory: Path) -> None:
    """Create an RS256 key pair in `directory` unless one is there.

    Four services may start at once on a fresh clone; the lock makes exactly one of them
    write the pair and the others read it.
    """
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        private_path = directory / PRIVATE_KEY_FILENAME
        public_path = directory / PUBLIC_KEY_FILENAME
        if private_path.exists() and public_path.exists():
            return
        private_pem, public_pem = generate_key_pair()
        _write_private(private_path, private_pem)
        public_path.write_bytes(public_pem)


def generate_key_pair() -> tuple[bytes, bytes]:
    """A new RS256 key pair: the private key (PKCS#8) and its public key, both PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_SIZE_BITS)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


def _write_private(path: Path, content: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)


def read_key(path: Path, *, variable: str, dev_keys_dir: Path | None = None) -> str:
    """Read a PEM key, failing start-up with the variable to set when it is missing, and, for a
    key expected in `dev_keys_dir` (development), the command that makes the pair there."""
    try:
        return path.read_text()
    except OSError as error:
        remedy = f"set {variable}"
        if dev_keys_dir is not None and path.parent == dev_keys_dir:
            remedy += (
                f", or make a development key pair there: python -m shop.auth.keys {dev_keys_dir}"
                " (make run and the test suites do)"
            )
        raise ImproperlyConfigured(
            f"JWT key not readable at {path} ({error.strerror}); {remedy}."
        ) from error


# One PEM block: `-----BEGIN <label>-----`, base64, `-----END <label>-----`.
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.+?-----END \1-----", re.S)


def public_keys_from_pem(text: str, *, variable: str) -> tuple[str, ...]:
    """The public keys of a PEM file, in order, each as a PEM of its own: the keys that verify.

    One key normally; during a rotation two (the current and the next, or the previous), one
    block after the other, as `cat old.pem new.pem` makes them. Anything that is not an RSA
    public key of at least RSA_KEY_SIZE_BITS fails start-up, naming `variable`.
    """
    blocks = [match.group(0) for match in _PEM_BLOCK.finditer(text)]
    if not blocks:
        raise ImproperlyConfigured(f"{variable} holds no PEM public key.")
    keys: dict[str, str] = {}
    for number, block in enumerate(blocks, start=1):
        try:
            key = serialization.load_pem_public_key(block.encode())
        except ValueError as error:
            raise ImproperlyConfigured(
                f"{variable}: PEM block {number} is no public key ({error})."
            ) from error
        if not isinstance(key, rsa.RSAPublicKey) or key.key_size < RSA_KEY_SIZE_BITS:
            raise ImproperlyConfigured(
                f"{variable}: PEM block {number} is not an RSA key of {RSA_KEY_SIZE_BITS}+ bits."
            )
        keys.setdefault(key_id(key), block + "\n")
    return tuple(keys.values())


def key_id(key: rsa.RSAPublicKey | rsa.RSAPrivateKey) -> str:
    """The key's `kid`: its RFC 7638 JWK thumbprint (SHA-256), so that it is computed from the
    key itself and can never name another one. A private key is named by its public half."""
    if isinstance(key, rsa.RSAPrivateKey):
        key = key.public_key()
    jwk = RSAAlgorithm.to_jwk(key, as_dict=True)
    # The required members only, sorted, no whitespace: RFC 7638, section 3.
    canonical = json.dumps(
        {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def key_id_of_pem(pem: str) -> str:
    """The `kid` of an RSA key in PEM, public or private."""
    key: PrivateKeyTypes | PublicKeyTypes
    try:
        if "PRIVATE KEY-----" in pem:
            key = serialization.load_pem_private_key(pem.encode(), password=None)
        else:
            key = serialization.load_pem_public_key(pem.encode())
    except (TypeError, ValueError) as error:
        raise ImproperlyConfigured(f"A JWT key is no unencrypted PEM key ({error}).") from error
    if not isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        raise ImproperlyConfigured("The JWT keys must be RSA keys.")
    return key_id(key)


def public_jwk(pem: str, *, algorithm: str) -> dict[str, str]:
    """An RSA public key in PEM as a JSON Web Key (RFC 7517) named by its `kid`, for signatures
    with `algorithm` only."""
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        # Unreachable from the settings (public_keys_from_pem admits RSA keys only).
        raise ImproperlyConfigured("The JWT keys must be RSA keys.")
    jwk = RSAAlgorithm.to_jwk(key, as_dict=True)
    return {**jwk, "kid": key_id(key), "use": "sig", "alg": algorithm}


def main(argv: list[str]) -> int:
    """`python -m shop.auth.keys DIRECTORY`: a development key pair in DIRECTORY unless one is
    there. No Django: the settings cannot load before the keys exist."""
    if len(argv) != 1:
        sys.stderr.write("usage: python -m shop.auth.keys DIRECTORY\n")
        return 2
    ensure_dev_key_pair(Path(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
