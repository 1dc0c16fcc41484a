"""Signed checkpoints of the chain head, kept outside the database.

A chain alone cannot show that someone with the database recomputed every hash after altering an
event: the result is a consistent chain. So from time to time the head (position, hash) is signed
with an Ed25519 key that lives in the data folder, not the database, and appended as one JSON line
to a file a deployment can ship to write-once storage (`REGISTRUM_AUDIT_CHECKPOINTS`, default
`$REGISTRUM_HOME/audit/checkpoints.jsonl`):

    {"at": "2026-11-27T08:22:01.123456Z", "hash": "<hex>", "key": "<key id>", "position": 1234,
     "signature": "<base64 Ed25519 over the canonical JSON of at, hash, key and position>"}

`registrum audit verify` checks each line's signature with the public key, that the chain still
reaches its position and that the link there still has its hash. A checkpoint is written by
`registrum audit checkpoint` and by the chainer once the head moved 10,000 positions or 10 minutes
passed since the last one; each is itself recorded as an AUDIT_CHECKPOINT event (whose own linking
moves the head by one, never enough to sign again).

The key pair: `$REGISTRUM_HOME/keys/audit-signing.key` (PKCS#8 PEM, mode 0600, in a 0700 folder) and
`audit-signing.key.pub`, created by `registrum init` when missing (`REGISTRUM_AUDIT_SIGNING_KEY`
moves them).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import transaction

from registrum.audit.chain import Break, Head, Walk, chain_pending, head, walk, walk_in_parallel
from registrum.audit.events import EventType
from registrum.audit.models import canonical_json

log = logging.getLogger(__name__)

EVERY_POSITIONS = 10_000
EVERY_SECONDS = 600.0


class SigningKeyError(Exception):
    """The signing or public key is missing or unreadable (the message says which and what to do)."""


def signing_key_path() -> Path:
    configured = getattr(settings, "REGISTRUM_AUDIT_SIGNING_KEY", None)
    return Path(configured) if configured else settings.HOME / "keys" / "audit-signing.key"


def public_key_path() -> Path:
    key = signing_key_path()
    return key.with_name(key.name + ".pub")


def checkpoints_path() -> Path:
    configured = getattr(settings, "REGISTRUM_AUDIT_CHECKPOINTS", None)
    return Path(configured) if configured else settings.HOME / "audit" / "checkpoints.jsonl"


def ensure_signing_key() -> bool:
    """Create the key pair if there is none; True when created. The folder is 0700, the key 0600."""
    private, public = signing_key_path(), public_key_path()
    if private.exists():
        return False
    private.parent.mkdir(parents=True, exist_ok=True)
    private.parent.chmod(0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    _no_key_until.pop(private, None)
    public.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return True


def load_signing_key(path: Path | None = None) -> Ed25519PrivateKey:
    path = path or signing_key_path()
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise SigningKeyError(f"audit signing key {path} is missing: `registrum init` creates one") from None
    except (OSError, ValueError, TypeError) as exc:
        raise SigningKeyError(f"audit signing key {path} is unreadable: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"audit signing key {path} is not an Ed25519 key")
    return key


def load_public_key(path: Path | None = None) -> Ed25519PublicKey:
    path = path or public_key_path()
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except FileNotFoundError:
        raise SigningKeyError(f"audit public key {path} is missing: checkpoints cannot be checked without it") from None
    except (OSError, ValueError, TypeError) as exc:
        raise SigningKeyError(f"audit public key {path} is unreadable: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"audit public key {path} is not an Ed25519 key")
    return key


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class Checkpoint:
    position: int
    hash: str
    at: str
    key: str
    signature: str

    def message(self) -> bytes:
        return canonical_json({"at": self.at, "hash": self.hash, "key": self.key, "position": self.position}).encode()

    def line(self) -> str:
        return canonical_json({**self.__dict__}) + "\n"

    @property
    def at_epoch(self) -> float:
        return datetime.fromisoformat(self.at.replace("Z", "+00:00")).timestamp()

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        position, digest = data.get("position"), data.get("hash")
        if not isinstance(position, int) or position < 1 or not isinstance(digest, str) or len(digest) != 64:
            raise ValueError("no valid position and hash")
        return cls(position, digest, str(data.get("at", "")), str(data.get("key", "")), str(data.get("signature", "")))


def sign(top: Head, key: Ed25519PrivateKey) -> Checkpoint:
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    unsigned = Checkpoint(top.position, top.hash, at, key_id(key.public_key()), "")
    signature = base64.b64encode(key.sign(unsigned.message())).decode()
    return Checkpoint(top.position, top.hash, at, unsigned.key, signature)


def append(checkpoint: Checkpoint, path: Path | None = None) -> None:
    """One line, appended whole (O_APPEND under an exclusive flock) and synced to disk."""
    path = path or checkpoints_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, checkpoint.line().encode())
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the lock


def read_all(path: Path | None = None) -> list[tuple[int, Checkpoint | str]]:
    """(line number, checkpoint or what is wrong with the line), in file order; [] without a file."""
    path = path or checkpoints_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    found: list[tuple[int, Checkpoint | str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            found.append((number, Checkpoint.parse(line)))
        except ValueError as exc:  # json.JSONDecodeError included
            found.append((number, f"unreadable line: {exc}"))
    return found


def read_last(path: Path | None = None) -> Checkpoint | None:
    path = path or checkpoints_path()
    try:
        with path.open("rb") as source:
            size = source.seek(0, os.SEEK_END)
            source.seek(max(0, size - 8192))
            tail = source.read().decode("utf-8", "replace").splitlines()
    except FileNotFoundError:
        return None
    for line in reversed(tail):
        try:
            return Checkpoint.parse(line)
        except ValueError:
            continue
    return None


def checkpoint_now() -> Checkpoint:
    """Link what is pending, sign the head, append it, record the checkpoint as an event."""
    key = load_signing_key()
    chain_pending(checkpoint=False)
    top = head()
    if top.position == 0:
        raise ValueError("the audit chain is empty: nothing to sign yet")
    return _write(top, key)


def _write(top: Head, key: Ed25519PrivateKey) -> Checkpoint:
    from registrum import audit

    checkpoint = sign(top, key)
    path = checkpoints_path()
    _remember(path, checkpoint)  # before the event, whose own linking must not find one due
    # The event first: its synchronous commit also makes every link before it durable (links
    # commit asynchronously on PostgreSQL), so no signed position can vanish in a crash.
    with transaction.atomic():
        audit.record(
            None,
            EventType.AUDIT_CHECKPOINT,
            None,
            summary=f"audit chain signed at position {top.position}",
            data={"position": top.position, "hash": top.hash, "key": checkpoint.key, "file": str(path)},
        )
    append(checkpoint, path)
    return checkpoint


# The newest checkpoint this process knows of, per file: (position, at as epoch seconds).
_known: dict[Path, tuple[int, float]] = {}
# Per key file: time.monotonic() before which a missing key is not looked for again.
_no_key_until: dict[Path, float] = {}


def _remember(path: Path, checkpoint: Checkpoint | None) -> None:
    _known[path] = (checkpoint.position, checkpoint.at_epoch) if checkpoint else (0, 0.0)


def _due(last: tuple[int, float], top: Head) -> bool:
    position, at = last
    moved = top.position - position
    return moved >= EVERY_POSITIONS or (moved > 0 and time.time() - at >= EVERY_SECONDS)


def sign_if_due(top: Head) -> Checkpoint | None:
    """After a chaining pass: sign the head if 10,000 positions or 10 minutes passed since the
    last checkpoint (another process may have written one: the file decides)."""
    path = checkpoints_path()
    if path in _known and not _due(_known[path], top):
        return None
    if time.monotonic() < _no_key_until.get(signing_key_path(), 0.0):
        return None
    _remember(path, read_last(path))
    if not _due(_known[path], top):
        return None
    try:
        key = load_signing_key()
    except SigningKeyError as exc:
        # Said once a minute at most, and not looked for again until then: writers go on.
        log.warning("audit checkpoints are not signed: %s", exc)
        _no_key_until[signing_key_path()] = time.monotonic() + 60
        return None
    return _write(top, key)


@dataclass
class Verdict:
    walk: Walk
    checkpoints: int  # checked and found good
    newest_checkpoint: Checkpoint | None
    broken: Break | None
    note: str = ""  # e.g. no checkpoint file yet


def verify(
    *, checkpoints: Path | None = None, public_key: Path | None = None, link_pending: bool = True, jobs: int = 1
) -> Verdict:
    """The whole check `registrum audit verify` runs (the chain walked by `jobs` processes when
    long enough). Raises SigningKeyError when checkpoints exist but the public key cannot be read."""
    if link_pending:
        chain_pending(checkpoint=False)  # events newer than every linked one: the normal tail
    path = checkpoints or checkpoints_path()
    lines = read_all(path)
    public = load_public_key(public_key) if lines else None
    good = [(number, c) for number, c in lines if isinstance(c, Checkpoint)]
    positions = [c.position for _, c in good]
    result = walk_in_parallel(positions, jobs=jobs) if jobs > 1 else walk(positions)
    if result.broken is not None:
        return Verdict(result, 0, None, result.broken)
    checked, newest = 0, None
    for number, entry in lines:
        problem, position = _check_one(entry, public, result)
        if problem:
            where = f"checkpoint on line {number} of {path}"
            return Verdict(result, checked, newest, Break(position, None, "checkpoint", f"{where}: {problem}"))
        if not isinstance(entry, Checkpoint):
            raise RuntimeError("internal check failed: isinstance(entry, Checkpoint)")
        checked, newest = checked + 1, entry
    note = "" if lines else f"no checkpoints yet in {path}"
    return Verdict(result, checked, newest, None, note)


def _check_one(entry: Checkpoint | str, public: Any, result: Walk) -> tuple[str, int]:
    if isinstance(entry, str):
        return entry, 0
    try:
        public.verify(base64.b64decode(entry.signature, validate=True), entry.message())
    except (InvalidSignature, ValueError):
        return "its signature is not valid for the public key (forged or altered)", entry.position
    if entry.position > result.length:
        return (
            f"it signs position {entry.position} but the chain ends at {result.length}: events were removed",
            entry.position,
        )
    if result.hashes_at.get(entry.position) != entry.hash:
        return (
            f"the link at position {entry.position} no longer has the signed hash: the chain was rewritten",
            entry.position,
        )
    return "", entry.position
