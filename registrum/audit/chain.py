"""The hash chain over the audit trail, and its verification.

What is covered
    Every column of every event: id, at (integer microseconds since the Unix epoch, UTC), actor id,
    on-behalf-of id, origin, event type, target type, target id, summary and data (its stored
    canonical JSON text). Link n (table audit_auditlink: position, event id, hex hash) holds

        hash_n = SHA-256(hash_{n-1} || encode(event_n)),  hash_0 = 32 zero bytes

    where encode is the UTF-8 bytes of (version 1, fixed, prefix-free so unambiguous):

        {id};{at};{actor};{on_behalf_of};{n}:{origin}{n}:{event}{n}:{target_type}{target_id};
        {n}:{summary}{n}:{data}

    integers in decimal, NULL as `-`, each text prefixed by its length in UTF-8 bytes and a colon
    (a NULL text, which the schema does not allow, as a bare colon).
    The database builds these bytes itself (`encoded_sql`: one BLOB per event instead of ten
    columns, which is what makes verification fast); `encode` is the same in Python, and a test
    keeps the two equal. Positions run 1..n with no gaps; the chain orders by position, not by
    event id (an event whose transaction committed late gets a later position).

Why chaining is deferred (PostgreSQL), and why not on SQLite
    Linking an event needs the previous hash, so linking is serial. Doing it inside the writer's
    transaction on PostgreSQL would hold one global lock from the first event to the commit of
    every download, registration and import: they would all queue behind each other (and behind
    a long import). So there `record` only INSERTs the event; after the transaction commits,
    `chain_pending` takes the chain lock (an advisory lock) in a short transaction of its own,
    committed without waiting for the log flush, and links every committed event not yet linked,
    in id order, with bulk inserts. Committers that arrive together share one pass (group
    commit): the first links everybody's events, the others find nothing left to do.

    SQLite already lets one writer in at a time (the backend's writer lock, held from BEGIN to
    COMMIT), so linking inside the writer's transaction adds no waiting, while a linking
    transaction after each commit would cost every download a second synced commit. There
    `record` links at once, in the same transaction (`chain_after_commit`).

    Each pass looks at events from the lowest id its own transaction wrote (or just above the
    newest linked event), not the whole table, so it costs what it links. An event whose
    transaction committed but whose process died before linking stays unlinked: `audit verify`
    reports it (an unlinked event below linked ones is what an insertion outside the application
    looks like too), and `registrum audit chain --stragglers` links it once an operator has
    established it came from such a crash.

How to verify
    `registrum audit verify` walks the links by position with one streaming query, recomputes
    each hash from the previous one and the event's columns, and names the first broken link: a
    hash that does not match (the event or its link was altered), a position missing or a link to
    a missing event (deleted), a link whose successor follows from its predecessor (inserted), an
    unlinked event below linked ones (inserted, or a crash before linking). Then it checks the
    signed checkpoints (`registrum.audit.checkpoints`), which catch a chain rewritten consistently
    from the altered event onwards, or cut short.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from registrum.dbkit import insert_many

log = logging.getLogger(__name__)

ZERO = bytes(32)
BATCH = 10_000  # events linked per chaining transaction; rows fetched per round trip when verifying
# pg_advisory_xact_lock key of the chain ("audit" in ASCII): one chainer at a time.
PG_LOCK_KEY = 0x6175646974

EVENT_TABLE = "audit_auditevent"
LINK_TABLE = "audit_auditlink"


def _at_sql(vendor: str) -> str:
    """`at` as integer microseconds since the epoch, UTC, computed alike on both databases."""
    if vendor == "sqlite":
        # Django stores 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC; no fraction when it is zero.
        return "(unixepoch(e.at) * 1000000 + CAST(substr(e.at, 21, 6) AS INTEGER))"
    return "(extract(epoch from e.at) * 1000000)::bigint"


def event_columns(vendor: str) -> str:
    """The event's columns in encoding order (for `encode`)."""
    return (
        f"e.id, {_at_sql(vendor)}, e.actor_id, e.on_behalf_of_id, e.origin, e.event,"
        " e.target_type, e.target_id, e.summary, e.data"
    )


def encoded_sql(vendor: str) -> str:
    """An SQL expression over `e` (audit_auditevent) giving `encode`'s bytes, built by one call of
    printf/format (a chain of `||` would copy the growing string at every step). Its percent signs
    are doubled: it goes into `cursor.execute(sql, params)` with params."""
    if vendor == "sqlite":
        call, size, wrap = "printf", "length(CAST({} AS BLOB))", "CAST({} AS BLOB)"
    else:
        call, size, wrap = "format", "octet_length({})", "convert_to({}, 'UTF8')"
    template = "%%s;%%s;%%s;%%s;%%s:%%s%%s:%%s%%s:%%s%%s;%%s:%%s%%s:%%s"
    arguments = [
        "e.id",
        f"COALESCE(({_at_sql(vendor)})::text, '-')" if vendor != "sqlite" else f"COALESCE({_at_sql(vendor)}, '-')",
    ]
    for column in ("e.actor_id", "e.on_behalf_of_id"):
        arguments.append(f"COALESCE({column}::text, '-')" if vendor != "sqlite" else f"COALESCE({column}, '-')")
    for column in ("e.origin", "e.event", "e.target_type"):
        arguments += [size.format(column), column]
    arguments.append("COALESCE(e.target_id::text, '-')" if vendor != "sqlite" else "COALESCE(e.target_id, '-')")
    for column in ("e.summary", "e.data"):
        arguments += [size.format(column), column]
    return wrap.format(f"{call}('{template}', {', '.join(arguments)})")


def encode(row: Sequence[Any]) -> bytes:
    """The canonical bytes of one event, from its columns in `event_columns` order."""
    pk, at, actor, behalf, origin, event, target_type, target_id, summary, data = row

    def number(value: int | None) -> str:
        return "-" if value is None else str(value)

    def text(value: str | None) -> str:
        return ":" if value is None else f"{len(value.encode())}:{value}"

    return (
        f"{number(pk)};{number(at)};{number(actor)};{number(behalf)};{text(origin)}{text(event)}"
        f"{text(target_type)}{number(target_id)};{text(summary)}{text(data)}"
    ).encode()


def link_hash(previous: bytes, encoded: bytes) -> bytes:
    return hashlib.sha256(previous + encoded).digest()


# ---------------------------------------------------------------------------------------------
# Chaining


@dataclass(frozen=True)
class Head:
    position: int
    hash: str  # hex; 64 zeros before the first link

    @property
    def digest(self) -> bytes:
        return bytes.fromhex(self.hash)


def head() -> Head:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT position, hash FROM {LINK_TABLE} ORDER BY position DESC LIMIT 1")  # noqa: S608
        row = cursor.fetchone()
    return Head(row[0], row[1]) if row else Head(0, ZERO.hex())


def _lock_chain(cursor: Any, *, asynchronous: bool) -> None:
    if connection.vendor == "postgresql":
        # The chain lock is held until the commit returns: waiting for the log flush there would
        # cap every writer at one flush per event. Links derive from committed events: a crash
        # can only lose the newest, which the next pass links again; a checkpoint is signed only
        # after a synchronous commit (checkpoints._write).
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s), set_config('synchronous_commit', %s, true)",
            [PG_LOCK_KEY, "off" if asynchronous else "on"],
        )
    # SQLite: the transaction itself holds the writer lock (BEGIN IMMEDIATE, registrum.sqlite).


def _newest_linked_event(cursor: Any) -> int:
    cursor.execute(f"SELECT MAX(event_id) FROM {LINK_TABLE}")  # noqa: S608
    return cursor.fetchone()[0] or 0


def _link_batch(since: int | None, after: int) -> tuple[int, int, Head | None, bool]:
    """One short transaction (a savepoint inside a writer's): link the unlinked events among the
    next BATCH ids above `after` (and at or above `since`; any id when since is None).
    Returns (events linked, last id looked at, the new head or None, whether ids ran out).

    Bounded id ranges, not ORDER BY ... LIMIT over an anti-join: a planner with stale statistics
    (a table just filled by an import) would hash the whole link table for every download's pass."""
    from registrum.audit.models import AuditLink

    own_transaction = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        _lock_chain(cursor, asynchronous=own_transaction)
        cursor.execute(f"SELECT position, hash, event_id FROM {LINK_TABLE} ORDER BY position DESC LIMIT 1")  # noqa: S608
        top = cursor.fetchone() or (0, ZERO.hex(), 0)
        if since is not None:
            # Others' events above the newest linked one are fair game too (group commit).
            after = max(after, min(since, top[2] + 1) - 1)
        # A window of ids, not ORDER BY ... LIMIT: bounded ranges keep every plan an index scan.
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {EVENT_TABLE} WHERE id > %s", [after])  # noqa: S608
        lowest, newest = cursor.fetchone()
        if lowest is None:
            return 0, after, None, True
        low, high = lowest, lowest + BATCH - 1
        exhausted = high >= newest
        cursor.execute(
            f"SELECT e.id, {encoded_sql(connection.vendor)} FROM {EVENT_TABLE} e"  # noqa: S608
            f" WHERE e.id >= %s AND e.id <= %s AND NOT EXISTS"
            f" (SELECT 1 FROM {LINK_TABLE} l WHERE l.event_id = e.id AND l.event_id >= %s AND l.event_id <= %s)"
            " ORDER BY e.id",
            [low, high, low, high],
        )
        rows = cursor.fetchall()
        if not rows:
            return 0, high, None, exhausted
        previous, position = bytes.fromhex(top[1]), top[0]
        links = []
        sha256 = hashlib.sha256
        for event_id, encoded in rows:
            previous = sha256(previous + encoded).digest()
            position += 1
            links.append((position, event_id, previous.hex()))
        if len(links) > 100:
            insert_many(AuditLink, ["position", "event_id", "hash"], links)
        else:  # one statement, one round trip (COPY takes three)
            values = ", ".join(["(%s, %s, %s)"] * len(links))
            cursor.execute(
                f"INSERT INTO {LINK_TABLE} (position, event_id, hash) VALUES {values}",  # noqa: S608
                [value for link in links for value in link],
            )
        return len(links), high, Head(position, links[-1][2]), exhausted


# Set when a pass failed: the process's next pass starts there, so nothing is left behind.
_missed_since: int | None = None


def chain_pending(since: int | None = None, *, stragglers: bool = False, checkpoint: bool = True) -> int:
    """Link committed, unlinked events; returns how many. `since`: the lowest event id the caller's
    transaction wrote (the pass starts there, or at the newest linked event if that is lower);
    None: just above the newest linked event; `stragglers=True`: every unlinked event, whatever
    its id (after a crash; see the module's docstring). Signs a checkpoint when one is due."""
    count, newest = _chain(since, stragglers=stragglers)
    if checkpoint and newest is not None and not connection.in_atomic_block:
        from registrum.audit import checkpoints

        checkpoints.sign_if_due(newest)
    return count


def _chain(since: int | None, *, stragglers: bool = False) -> tuple[int, Head | None]:
    global _missed_since
    if since is None and not stragglers:
        with connection.cursor() as cursor:
            since = _newest_linked_event(cursor) + 1
    if _missed_since is not None and since is not None:
        since = min(since, _missed_since)
    total, after, newest = 0, -(2**62), None
    try:
        while True:
            count, after, moved, exhausted = _link_batch(None if stragglers else since, after)
            if count:
                total, newest = total + count, moved
            if exhausted:
                break
    except Exception:
        _missed_since = since if since is not None else 1
        raise
    _missed_since = None
    return total, newest


class _Pending:
    """One transaction's chaining pass, run once after it commits (on SQLite: only the check
    whether a checkpoint is due, its events being linked already)."""

    def __init__(self, since: int) -> None:
        self.since = since
        self.head: Head | None = None  # set when the events were linked inside the transaction
        self.ran = False

    def run(self) -> None:
        self.ran = True
        try:
            if self.head is not None:
                from registrum.audit import checkpoints

                checkpoints.sign_if_due(self.head)
            else:
                chain_pending(self.since)
        except Exception:
            # The events are committed; the next pass in this process or `audit verify` finds them.
            log.exception("audit chaining after commit failed; events from id %s stay unlinked for now", self.since)


def chain_after_commit(since: int) -> None:
    """Make sure the current transaction's events, all with ids >= since, are linked once it commits.

    On SQLite they are linked at once, inside the writer's transaction: every SQLite write already
    holds the one writer lock until its commit, so linking there adds no waiting, while a separate
    linking transaction after each commit costs a second synced commit (4 processes writing
    single-event transactions, `python -m bench.audit`: 743/s linking after commit, 982/s linking
    inside, 1,658/s with linking replaced by a no-op)."""
    linked: Head | None = None
    if connection.vendor == "sqlite":
        try:
            linked = _chain(since)[1]
        except Exception:
            log.exception("audit linking inside the transaction failed; trying again after its commit")
    pending: _Pending | None = getattr(connection, "_audit_pending", None)
    if pending is not None and not pending.ran:
        # Join it when it was registered in this block or one enclosing it (it then runs when
        # this block's work commits); a sibling savepoint's may be gone with a rollback.
        current = set(connection.savepoint_ids)
        if any(entry[1] == pending.run and entry[0] <= current for entry in connection.run_on_commit):
            pending.since = min(pending.since, since)
            if pending.head is not None and linked is None:
                pending.head = None  # some events still to link after the commit
            elif linked is not None and pending.head is not None:
                pending.head = linked
            return
    pending = _Pending(since)
    pending.head = linked
    setattr(connection, "_audit_pending", pending)  # noqa: B010 (an attribute of our own on the wrapper)
    transaction.on_commit(pending.run)


# ---------------------------------------------------------------------------------------------
# Verification


@dataclass(frozen=True)
class Break:
    position: int
    event_id: int | None
    kind: str  # "altered", "deleted", "inserted", "broken", "checkpoint"
    detail: str

    def __str__(self) -> str:
        event = f"event id {self.event_id}" if self.event_id is not None else "no event"
        return f"position {self.position} ({event}): {self.kind}: {self.detail}"


@dataclass
class Walk:
    checked: int = 0
    seconds: float = 0.0
    length: int = 0  # the last position walked
    broken: Break | None = None
    hashes_at: dict[int, str] = field(default_factory=dict)  # the stored hash at requested positions
    unlinked_above: int = 0  # events newer than every linked one, not linked yet (not an error)

    @property
    def per_s(self) -> float:
        return self.checked / self.seconds if self.seconds else 0.0


def _walk_sql(vendor: str, ranged: bool) -> str:
    where = "WHERE l.position >= %s AND l.position <= %s " if ranged else ""
    return (
        f"SELECT l.position, l.hash, l.event_id, e.id, {encoded_sql(vendor)} "  # noqa: S608
        f"FROM {LINK_TABLE} l LEFT JOIN {EVENT_TABLE} e ON e.id = l.event_id {where}ORDER BY l.position"
    )


def _link_at(position: int) -> tuple[int, str, int, int | None, bytes | None] | None:
    """(position, stored hash, linked event id, event id or None if gone, encoded event)."""
    with connection.cursor() as cursor:
        cursor.execute(_walk_sql(connection.vendor, True), [position, position])
        row = cursor.fetchone()
    return None if row is None else (row[0], row[1], row[2], row[3], _bytes(row[4]))


def _bytes(value: Any) -> bytes | None:
    return None if value is None else bytes(value)  # psycopg may hand bytea over as memoryview


def _diagnose(
    position: int, previous: bytes, stored: str, event_id: int, encoded: bytes, before: tuple[bytes, int] | None
) -> Break:
    """The hash at `position` does not follow from the one before: say how. `before`: the hash
    two positions back and the event id one position back, when there are such positions."""
    if before is not None and link_hash(before[0], encoded).hex() == stored:
        return Break(
            position - 1,
            before[1],
            "inserted",
            f"the next link (position {position}) follows from position {position - 2}:"
            " this event was put into the chain after the next one was linked",
        )
    following = _link_at(position + 1)
    if (
        following is not None
        and following[4] is not None
        and link_hash(bytes.fromhex(stored), following[4]).hex() != following[1]
    ):
        return Break(
            position,
            event_id,
            "broken",
            "the hash does not follow from the previous link, nor the next from this one:"
            " events were altered, inserted or deleted here",
        )
    return Break(
        position,
        event_id,
        "altered",
        "the event's content no longer matches its hash (changed after it was linked,"
        " or an event before it was deleted and the chain renumbered)",
    )


def _rows(sql: str, params: list[Any]) -> Iterator[Sequence[Any]]:
    """Rows streamed in batches: a server-side cursor on PostgreSQL (inside a transaction, which
    also gives one snapshot), one read statement on SQLite (WAL gives it one snapshot)."""
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(BATCH):
                yield from batch
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(BATCH):
                yield from batch


def walk(
    positions_wanted: Iterable[int] = (), *, first: int = 1, last: int | None = None, previous: str | None = None
) -> Walk:
    """Recompute the chain from `first` (default the start) to `last` (default the end).
    `previous`: the stored hash at first-1 when starting mid-chain (range verification)."""
    result = Walk()
    wanted = set(positions_wanted)
    started = time.perf_counter()
    prev = ZERO if previous is None else bytes.fromhex(previous)
    prev_prev, prev_id = b"", 0  # the hash before prev and the event linked at prev (diagnosis only)
    expected = first
    sha256 = hashlib.sha256
    sql = _walk_sql(connection.vendor, True)
    params = [first, last if last is not None else 2**62]
    for position, stored, linked_id, event_id, encoded in _rows(sql, params):
        if position != expected:
            result.broken = Break(
                expected,
                None,
                "deleted",
                f"positions {expected} to {position - 1} are missing from the chain"
                if position > expected + 1
                else f"position {expected} is missing from the chain",
            )
            break
        if event_id is None:
            result.broken = Break(
                position, linked_id, "deleted", f"the link points at event id {linked_id}, which no longer exists"
            )
            break
        digest = sha256(prev + encoded).digest()
        if digest.hex() != stored:
            before = (prev_prev, prev_id) if position > first else None
            result.broken = _diagnose(position, prev, stored, linked_id, bytes(encoded), before)
            break
        if position in wanted:
            result.hashes_at[position] = stored
        prev_prev, prev_id, prev = prev, linked_id, digest
        expected += 1
    result.checked = expected - first
    result.length = expected - 1
    result.seconds = time.perf_counter() - started
    if result.broken is None and last is None:
        result.broken, result.unlinked_above = _unlinked()
    return result


PARALLEL_FROM = 50_000  # links; below this one process is done about as soon as two would be


def _walk_part(part: tuple[int, int, str | None, set[int]]) -> Walk:
    from django.db import connections

    connections.close_all()  # the parent's connection stays the parent's
    first, last, previous, wanted = part
    return walk(wanted, first=first, last=last, previous=previous)


def walk_in_parallel(positions_wanted: Iterable[int] = (), *, jobs: int = 2) -> Walk:
    """`walk`, with the positions split into `jobs` ranges verified by as many processes: link i
    needs only the stored hash i-1, and the range before checks that one. The first break in
    position order is the one reported."""
    import multiprocessing

    from django.db import connections

    length = head().position
    if jobs < 2 or length < PARALLEL_FROM:
        return walk(positions_wanted)
    wanted = set(positions_wanted)
    started = time.perf_counter()
    step = -(-length // jobs)
    parts = []
    with connection.cursor() as cursor:
        for first in range(1, length + 1, step):
            last = min(length, first + step - 1)
            previous = None
            if first > 1:
                cursor.execute(f"SELECT hash FROM {LINK_TABLE} WHERE position = %s", [first - 1])  # noqa: S608
                found = cursor.fetchone()
                previous = found[0] if found else ZERO.hex()  # a missing link: the range before reports it
            parts.append((first, last, previous, {p for p in wanted if first <= p <= last}))
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(len(parts)) as pool:
        walks = pool.map(_walk_part, parts)
    result = Walk()
    for part in walks:
        result.checked += part.checked
        result.hashes_at.update(part.hashes_at)
        if part.broken is not None:
            result.broken = part.broken
            result.length = part.length
            break
        result.length = part.length
    result.seconds = time.perf_counter() - started
    if result.broken is None:
        result.broken, result.unlinked_above = _unlinked()
    return result


def _unlinked() -> tuple[Break | None, int]:
    """An event with no link below the newest linked one: inserted, or a crash before linking."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {EVENT_TABLE}")  # noqa: S608
        events = cursor.fetchone()[0]
        cursor.execute(f"SELECT COUNT(*), MAX(event_id) FROM {LINK_TABLE}")  # noqa: S608
        links, newest = cursor.fetchone()
        if events == links:
            return None, 0
        newest = newest or 0
        cursor.execute(
            f"SELECT MIN(e.id) FROM {EVENT_TABLE} e WHERE e.id < %s"  # noqa: S608
            f" AND NOT EXISTS (SELECT 1 FROM {LINK_TABLE} l WHERE l.event_id = e.id)",
            [newest],
        )
        straggler = cursor.fetchone()[0]
        if straggler is None:
            return None, events - links
        cursor.execute(f"SELECT MIN(position) FROM {LINK_TABLE} WHERE event_id > %s", [straggler])  # noqa: S608
        before = cursor.fetchone()[0]
    return (
        Break(
            before,
            straggler,
            "inserted",
            f"event id {straggler} is not in the chain, though events after it (from position {before}) are:"
            " inserted outside the application, or left unlinked by a crash"
            " (`registrum audit chain --stragglers` links it once that is established)",
        ),
        0,
    )
