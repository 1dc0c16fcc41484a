"""Key-encryption keys (KEKs): what wraps every content version's own data key.

The KEK is kept outside the database, so a copy of the database and the content folder opens
nothing. One small interface, `KeyEncryptionKeyring`, so an HSM or KMS can stand in later:

- `FileKeyring`: `$REGISTRUM_HOME/keys/kek.json` (0600, its folder 0700), several keys with ids,
  one active; `registrum init` creates it, `registrum keys rotate` adds a key and retires the old.
- `EnvKeyring`: one key in `REGISTRUM_KEK` (base64 of 32 bytes), for deployments that inject
  secrets; its id is a check value derived from the key, so a different key is noticed at once.

Data keys are wrapped with AES-256-GCM; the AAD binds the KEK id and the caller's context (the
blob's id), so a wrapped key moved to another version does not open.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "ENV_VARIABLE",
    "EnvKeyring",
    "FileKeyring",
    "KeyDoesNotOpen",
    "KeyEncryptionKeyring",
    "KeyringError",
    "KeyringMissing",
    "UnknownKek",
    "configured_keyring",
    "set_keyring",
]

ENV_VARIABLE = "REGISTRUM_KEK"
KEY_BYTES = 32
_WRAP_FORMAT = b"\x01"
_NONCE = 12
_WRAP_AAD = b"registrum/data-key/v1\x00"


class KeyringError(RuntimeError):
    """The key-encryption key is missing, unreadable or does not open a stored data key."""


class KeyringMissing(KeyringError):
    pass


class UnknownKek(KeyringError):
    def __init__(self, kek_id: str, where: str) -> None:
        self.kek_id = kek_id
        super().__init__(f"the key-encryption key {kek_id!r} is not in {where}: the stored data keys cannot be opened")


class KeyDoesNotOpen(KeyringError):
    def __init__(self, kek_id: str, context: str) -> None:
        self.kek_id = kek_id
        super().__init__(
            f"the key-encryption key {kek_id!r} does not open the stored data key of {context}: "
            "a wrong key, or the wrapped key was altered"
        )


@runtime_checkable
class KeyEncryptionKeyring(Protocol):
    def wrap(self, data_key: bytes, context: bytes) -> tuple[str, bytes]:
        """(id of the KEK used, the data key wrapped under it, bound to `context`)."""
        ...

    def unwrap(self, kek_id: str, wrapped: bytes, context: bytes) -> bytes: ...


def _wrap(kek_id: str, kek: bytes, data_key: bytes, context: bytes) -> bytes:
    nonce = secrets.token_bytes(_NONCE)  # random: one KEK wraps many data keys
    aad = _WRAP_AAD + kek_id.encode() + b"\x00" + context
    return _WRAP_FORMAT + nonce + AESGCM(kek).encrypt(nonce, data_key, aad)


def _unwrap(kek_id: str, kek: bytes, wrapped: bytes, context: bytes) -> bytes:
    wrapped = bytes(wrapped)  # PostgreSQL hands binary columns out as memoryview
    if not wrapped.startswith(_WRAP_FORMAT) or len(wrapped) != 1 + _NONCE + KEY_BYTES + 16:
        raise KeyDoesNotOpen(kek_id, context.decode(errors="replace"))
    aad = _WRAP_AAD + kek_id.encode() + b"\x00" + context
    try:
        return AESGCM(kek).decrypt(wrapped[1 : 1 + _NONCE], wrapped[1 + _NONCE :], aad)
    except InvalidTag:
        raise KeyDoesNotOpen(kek_id, context.decode(errors="replace")) from None


def _decode_key(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyringError(f"{where}: not base64") from None
    if len(key) != KEY_BYTES:
        raise KeyringError(f"{where}: {len(key)} bytes, a key-encryption key has {KEY_BYTES}")
    return key


class EnvKeyring:
    """One KEK from the environment. It cannot be rotated in place: a deployment that injects
    secrets rotates by moving to a keyring file (or a KMS) behind the same interface."""

    def __init__(self, encoded: str) -> None:
        self._key = _decode_key(encoded, ENV_VARIABLE)
        # A check value, not the key: a different key gets a different id and is refused by name.
        self.kek_id = "env-" + hmac.new(self._key, b"registrum kek id", hashlib.sha256).hexdigest()[:16]

    def wrap(self, data_key: bytes, context: bytes) -> tuple[str, bytes]:
        return self.kek_id, _wrap(self.kek_id, self._key, data_key, context)

    def unwrap(self, kek_id: str, wrapped: bytes, context: bytes) -> bytes:
        if kek_id != self.kek_id:
            raise UnknownKek(kek_id, f"{ENV_VARIABLE} (which holds {self.kek_id})")
        return _unwrap(kek_id, self._key, wrapped, context)

    def describe(self) -> str:
        return f"{ENV_VARIABLE} (key {self.kek_id})"


class FileKeyring:
    """Keys in a JSON file: {"format": 1, "active": ID, "keys": {ID: {"key": base64, "created": ISO}}}.

    A running server keeps the file's keys in memory and reads the file again when it changed
    (checked on every wrap, one stat) or when it meets an id it does not know (a rotation by
    another process), so a rotation needs no restart.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._keys: dict[str, bytes] = {}
        self._active = ""
        self._load()

    # Creating and changing the file ------------------------------------------------------

    @classmethod
    def create(cls, path: Path) -> FileKeyring:
        """A new keyring with one active key; refuses to overwrite an existing one."""
        path = Path(path)
        _private_dir(path.parent)
        with _exclusive(path):
            if path.exists():
                raise KeyringError(f"{path} exists already: a keyring is never overwritten")
            _write(path, _new_document())
        return cls(path)

    def add_active_key(self) -> str:
        """A new key, made the active one; the others stay to open what they wrapped."""
        with _exclusive(self.path):
            document = _read(self.path)
            kek_id = _new_id()
            document["keys"][kek_id] = {"key": _new_key_text(), "created": _now()}
            document["active"] = kek_id
            _write(self.path, document)
        self._load()
        return kek_id

    def retire(self, kek_id: str) -> None:
        """Remove a key for good. The caller has made sure nothing it wrapped remains."""
        with _exclusive(self.path):
            document = _read(self.path)
            if document["active"] == kek_id:
                raise KeyringError(f"{kek_id!r} is the active key-encryption key: it cannot be retired")
            if document["keys"].pop(kek_id, None) is not None:
                _write(self.path, document)
        self._load()

    # Reading --------------------------------------------------------------------------------

    def _load(self) -> None:
        with self._lock:
            try:
                st = self.path.stat()
            except FileNotFoundError:
                raise KeyringMissing(_missing_message(self.path)) from None
            document = _read(self.path)
            keys = {
                kek_id: _decode_key(entry["key"], f"{self.path} key {kek_id!r}")
                for kek_id, entry in document["keys"].items()
            }
            self._keys, self._active = keys, document["active"]
            self._stamp = (st.st_ino, st.st_mtime_ns, st.st_size)

    def _reload_if_changed(self) -> None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            raise KeyringMissing(_missing_message(self.path)) from None
        if (st.st_ino, st.st_mtime_ns, st.st_size) != self._stamp:
            self._load()

    @property
    def active_id(self) -> str:
        self._reload_if_changed()
        return self._active

    def ids(self) -> list[str]:
        self._reload_if_changed()
        return sorted(self._keys)

    def wrap(self, data_key: bytes, context: bytes) -> tuple[str, bytes]:
        self._reload_if_changed()  # a rotation elsewhere: wrap with the new active key at once
        kek_id = self._active
        return kek_id, _wrap(kek_id, self._keys[kek_id], data_key, context)

    def unwrap(self, kek_id: str, wrapped: bytes, context: bytes) -> bytes:
        key = self._keys.get(kek_id)
        if key is None:
            self._load()  # added by a rotation since this process read the file
            key = self._keys.get(kek_id)
            if key is None:
                raise UnknownKek(kek_id, f"the keyring {self.path}")
        return _unwrap(kek_id, key, wrapped, context)

    def describe(self) -> str:
        return f"{self.path} (active key {self._active})"


def _missing_message(path: Path) -> str:
    return (
        f"the key-encryption key is missing: no keyring at {path} and {ENV_VARIABLE} is not set "
        "(`registrum init` creates a keyring; restore it from where the site keeps its keys)"
    )


def _new_id() -> str:
    return f"kek-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(4)}"


def _new_key_text() -> str:
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _new_document() -> dict[str, object]:
    kek_id = _new_id()
    return {"format": 1, "active": kek_id, "keys": {kek_id: {"key": _new_key_text(), "created": _now()}}}


def _read(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise KeyringMissing(_missing_message(path)) from None
    except (OSError, ValueError) as exc:
        raise KeyringError(f"the keyring {path} cannot be read: {exc}") from None
    if (
        not isinstance(document, dict)
        or document.get("format") != 1
        or not isinstance(document.get("keys"), dict)
        or document.get("active") not in document["keys"]
    ):
        raise KeyringError(f"the keyring {path} is not a Registrum keyring (format 1 with an active key)")
    return document


def _write(path: Path, document: dict[str, object]) -> None:
    """Atomically, readable by the service account only, synced before and after the rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".kek-")
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(document, out, indent=2, sort_keys=True)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """One writer of the keyring at a time (two rotations must not lose a key)."""
    lock_path = path.parent / ".kek.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# The configured keyring ------------------------------------------------------------------

_keyring: KeyEncryptionKeyring | None = None
_keyring_lock = threading.Lock()


def keyring_path() -> Path:
    from django.conf import settings

    return Path(settings.REGISTRUM_KEYRING_FILE)


def configured_keyring() -> KeyEncryptionKeyring:
    """`REGISTRUM_KEK` when set, else the keyring file; KeyringMissing names both when neither is there."""
    global _keyring
    with _keyring_lock:
        if _keyring is None:
            encoded = os.environ.get(ENV_VARIABLE, "")
            _keyring = EnvKeyring(encoded) if encoded else FileKeyring(keyring_path())
        return _keyring


def set_keyring(keyring: KeyEncryptionKeyring | None) -> None:
    """Swap the keyring (tests); None reads the configuration again on next use."""
    global _keyring
    with _keyring_lock:
        _keyring = keyring
