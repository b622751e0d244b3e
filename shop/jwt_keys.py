"""Where the JWT key pair comes from: files named by the environment, or dev keys on first use."""

import fcntl
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

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
        key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_SIZE_BITS)
        private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        _write_private(private_path, private_pem)
        public_path.write_bytes(public_pem)


def _write_private(path: Path, content: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)


def read_key(path: Path, *, variable: str) -> str:
    """Read a PEM key, failing start-up with the variable to set when it is missing."""
    try:
        return path.read_text()
    except OSError as error:
        raise ImproperlyConfigured(
            f"JWT key not readable at {path} ({error.strerror}); set {variable}."
        ) from error
