"""Development keys: made once on first use, by exactly one of several starting processes."""

import stat
from concurrent.futures import ProcessPoolExecutor

from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from shop.jwt_keys import PRIVATE_KEY_FILENAME, PUBLIC_KEY_FILENAME, ensure_dev_key_pair


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
