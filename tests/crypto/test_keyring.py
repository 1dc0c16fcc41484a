"""Key-encryption keys: a keyring file readable by the service account only, or a key from the
environment; a wrong or missing key is named, never silently accepted."""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest

from registrum.storage import keyring
from registrum.storage.keyring import EnvKeyring, FileKeyring

DATA_KEY = os.urandom(32)


def env_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_a_new_keyring_is_private_and_never_overwritten(tmp_path):
    path = tmp_path / "keys" / "kek.json"
    created = FileKeyring.create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert created.ids() == [created.active_id]
    with pytest.raises(keyring.KeyringError, match="never overwritten"):
        FileKeyring.create(path)


def test_a_data_key_opens_only_with_its_kek_and_its_context(tmp_path):
    ring = FileKeyring.create(tmp_path / "kek.json")
    kek_id, wrapped = ring.wrap(DATA_KEY, b"blob:a")
    assert DATA_KEY not in wrapped
    assert ring.unwrap(kek_id, wrapped, b"blob:a") == DATA_KEY
    with pytest.raises(keyring.KeyDoesNotOpen, match="does not open the stored data key of blob:b"):
        ring.unwrap(kek_id, wrapped, b"blob:b")
    with pytest.raises(keyring.UnknownKek, match="'kek-unknown' is not in the keyring"):
        ring.unwrap("kek-unknown", wrapped, b"blob:a")


def test_a_keyring_whose_key_was_replaced_does_not_open_what_the_old_key_wrapped(tmp_path):
    path = tmp_path / "kek.json"
    ring = FileKeyring.create(path)
    kek_id, wrapped = ring.wrap(DATA_KEY, b"blob:a")
    document = json.loads(path.read_text())
    document["keys"][kek_id]["key"] = env_key()
    path.write_text(json.dumps(document))
    with pytest.raises(keyring.KeyDoesNotOpen, match=kek_id):
        FileKeyring(path).unwrap(kek_id, wrapped, b"blob:a")


def test_a_server_sees_a_rotation_by_another_process_without_restart(tmp_path):
    path = tmp_path / "kek.json"
    server = FileKeyring.create(path)
    operator = FileKeyring(path)
    new_id = operator.add_active_key()
    kek_id, wrapped = operator.wrap(DATA_KEY, b"blob:a")
    assert kek_id == new_id
    assert server.unwrap(new_id, wrapped, b"blob:a") == DATA_KEY  # unknown id: read again
    assert server.wrap(DATA_KEY, b"blob:b")[0] == new_id  # changed file: wraps with the new key


def test_only_an_inactive_key_can_be_retired(tmp_path):
    ring = FileKeyring.create(tmp_path / "kek.json")
    old = ring.active_id
    with pytest.raises(keyring.KeyringError, match="is the active key"):
        ring.retire(old)
    new = ring.add_active_key()
    ring.retire(old)
    assert ring.ids() == [new]
    assert old not in (tmp_path / "kek.json").read_text()


def test_a_missing_or_malformed_keyring_says_what_to_do(tmp_path):
    with pytest.raises(keyring.KeyringMissing, match=r"key-encryption key is missing: no keyring at .*REGISTRUM_KEK"):
        FileKeyring(tmp_path / "absent.json")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(keyring.KeyringError, match="not a Registrum keyring"):
        FileKeyring(tmp_path / "bad.json")


def test_the_environment_key_is_checked_and_named_by_a_check_value():
    encoded = env_key()
    ring = EnvKeyring(encoded)
    kek_id, wrapped = ring.wrap(DATA_KEY, b"blob:a")
    assert kek_id.startswith("env-") and base64.b64decode(encoded).hex()[:16] not in kek_id
    assert EnvKeyring(encoded).unwrap(kek_id, wrapped, b"blob:a") == DATA_KEY
    with pytest.raises(keyring.UnknownKek, match=f"'{kek_id}' is not in REGISTRUM_KEK"):
        EnvKeyring(env_key()).unwrap(kek_id, wrapped, b"blob:a")
    for bad, problem in (("not base64!", "not base64"), (base64.b64encode(b"short").decode(), "5 bytes")):
        with pytest.raises(keyring.KeyringError, match=f"REGISTRUM_KEK: {problem}"):
            EnvKeyring(bad)
