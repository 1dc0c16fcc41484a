"""The provable audit trail: events linked into a SHA-256 chain after their transaction commits, the
database refusing to rewrite them, and `registrum audit verify` naming the first event an attacker
with the database altered, deleted or inserted (they drop the triggers first, as such an attacker
would), including a chain rewritten consistently after the edit, which only the signed
checkpoints reveal."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from registrum import audit
from registrum.audit import chain, checkpoints, triggers
from registrum.audit.events import EventType
from registrum.audit.middleware import AuditOriginMiddleware
from registrum.audit.models import AuditEvent, AuditLink

pytestmark = pytest.mark.django_db


def _record(count: int, *, actor=None) -> list[AuditEvent]:
    events = []
    for n in range(count):
        with transaction.atomic():
            events.append(
                audit.record(
                    actor,
                    EventType.VERSION_DOWNLOADED,
                    None,
                    summary=f"download {n} — «é»",
                    data={"z": n, "a": "ünïcode", "nested": {"b": [1, 2], "a": None}},
                )
            )
    return events


@pytest.fixture
def chained(django_capture_on_commit_callbacks) -> list[AuditEvent]:
    """Six events, linked as they would be after each download's commit."""
    with django_capture_on_commit_callbacks(execute=True):
        events = _record(6)
    return events


def _verify() -> checkpoints.Verdict:
    return checkpoints.verify()


def _sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _as_attacker() -> None:
    """What someone who owns the database does first."""
    triggers.drop(connection)


def test_each_committed_event_is_linked_and_the_chain_verifies(chained):
    links = list(AuditLink.objects.order_by("position").values_list("position", "event_id"))
    assert links == [(n + 1, event.pk) for n, event in enumerate(chained)]
    verdict = _verify()
    assert verdict.broken is None
    assert verdict.walk.checked == 6


def test_the_first_hash_follows_the_documented_encoding(chained):
    first = AuditEvent.objects.get(pk=chained[0].pk)
    micros = round(first.at.timestamp() * 1_000_000)
    data = json.dumps(first.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def text(value: str) -> str:
        return f"{len(value.encode())}:{value}"

    encoded = (
        f"{first.pk};{micros};-;-;{text(first.origin)}{text(first.event)}{text('')}-;{text(first.summary)}{text(data)}"
    ).encode()
    assert AuditLink.objects.get(position=1).hash == hashlib.sha256(bytes(32) + encoded).hexdigest()


def test_the_database_encodes_events_as_the_python_reference_does(chained, world):
    with audit.acting(origin="web 2001:db8::1", on_behalf_of=world.reader), transaction.atomic():
        odd = audit.record(world.clerk, EventType.ACCESS_GRANTED, world.reader, summary="a;b:c-1 ✓", data={"k": "ü"})
    vendor = connection.vendor
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {chain.event_columns(vendor)}, {chain.encoded_sql(vendor)} FROM audit_auditevent e"
            " WHERE e.id > %s ORDER BY e.id",
            [-1],
        )
        rows = cursor.fetchall()
    assert [row[-1] for row in rows][-1].startswith(f"{odd.pk};".encode())
    for row in rows:
        assert bytes(row[-1]) == chain.encode(row[:-1])


def test_data_is_stored_as_canonical_json_and_read_as_a_dict(chained):
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM audit_auditevent WHERE id = %s", [chained[0].pk])
        (stored,) = cursor.fetchone()
    assert stored == '{"a":"ünïcode","nested":{"a":null,"b":[1,2]},"z":0}'
    assert AuditEvent.objects.get(pk=chained[0].pk).data == {"z": 0, "a": "ünïcode", "nested": {"b": [1, 2], "a": None}}


def test_a_transaction_that_rolls_back_leaves_nothing_to_link(django_capture_on_commit_callbacks):
    def failing_download() -> None:
        with transaction.atomic():
            audit.record(None, EventType.VERSION_DOWNLOADED, None, summary="rolled back")
            raise RuntimeError("the download failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        failing_download()
    assert callbacks == []
    assert not AuditEvent.objects.exists()


def test_one_pass_per_transaction_links_all_its_events_and_others_pending(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as early:
        _record(2)  # committed; their passes are still to run
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        for n in range(3):
            audit.record(None, EventType.VERSION_VIEWED, None, summary=f"read {n}")
    assert len(callbacks) == 1  # one pass for the transaction's three events
    assert AuditLink.objects.count() == 5  # the two committed before (group commit) and the three
    for callback in early:
        callback()  # their own passes find nothing left
    assert AuditLink.objects.count() == 5
    assert _verify().broken is None


def test_the_database_refuses_update_and_delete_on_events_and_links(chained):
    statements = [
        "UPDATE audit_auditevent SET summary = 'nothing happened'",
        "DELETE FROM audit_auditevent",
        "UPDATE audit_auditlink SET hash = 'x'",
        "DELETE FROM audit_auditlink",
    ]
    for statement in statements:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _sql(statement)
    assert AuditEvent.objects.filter(summary__startswith="download").count() == 6
    assert AuditLink.objects.count() == 6
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=chained[0].pk).update(summary="edited through the ORM")


@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_truncate_too():
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's (SQLite has DELETE only)")
    _record(2)
    for statement in ["TRUNCATE audit_auditlink", "TRUNCATE audit_auditevent CASCADE"]:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _sql(statement)
    assert AuditLink.objects.count() == 2


def test_verify_names_an_altered_event(chained):
    _as_attacker()
    _sql("UPDATE audit_auditevent SET summary = 'nothing to see' WHERE id = %s", [chained[2].pk])
    broken = _verify().broken
    assert broken is not None
    assert (broken.position, broken.event_id, broken.kind) == (3, chained[2].pk, "altered")


def test_verify_names_altered_data_and_actor_too(chained, world):
    _as_attacker()
    _sql("UPDATE audit_auditevent SET data = %s WHERE id = %s", ['{"a":"x"}', chained[4].pk])
    assert _verify().broken.position == 5
    _sql(
        "UPDATE audit_auditevent SET data = %s WHERE id = %s",
        ['{"a":"ünïcode","nested":{"a":null,"b":[1,2]},"z":4}', chained[4].pk],
    )
    assert _verify().broken is None  # put back as it was: intact again
    _sql("UPDATE audit_auditevent SET actor_id = %s WHERE id = %s", [world.clerk.pk, chained[1].pk])
    assert _verify().broken.position == 2


def test_verify_names_a_deleted_event(chained):
    _as_attacker()
    _sql("DELETE FROM audit_auditlink WHERE position = 4")
    _sql("DELETE FROM audit_auditevent WHERE id = %s", [chained[3].pk])
    broken = _verify().broken
    assert (broken.position, broken.kind) == (4, "deleted")
    assert "position 4 is missing" in broken.detail


def test_verify_names_an_event_deleted_behind_its_link(chained):
    _as_attacker()
    _sql("CREATE TEMPORARY TABLE saved AS SELECT * FROM audit_auditevent WHERE id = %s", [chained[1].pk])
    _sql("DELETE FROM audit_auditevent WHERE id = %s", [chained[1].pk])
    broken = _verify().broken
    assert (broken.position, broken.event_id, broken.kind) == (2, chained[1].pk, "deleted")
    _sql("INSERT INTO audit_auditevent SELECT * FROM saved")  # the foreign key holds again at the end


def test_verify_names_an_event_inserted_into_the_chain(chained):
    _as_attacker()
    # Make room at position 3 and put a forged event there, linked correctly to position 2.
    _sql("UPDATE audit_auditlink SET position = -position WHERE position >= 3")
    _sql("UPDATE audit_auditlink SET position = 1 - position WHERE position < 0")
    forged = AuditEvent(at=chained[2].at, event=EventType.ACCESS_GRANTED, target_type="", summary="forged", data={})
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (at, origin, event, target_type, summary, data)"
            " VALUES (%s, '', %s, '', %s, %s)",
            [
                connection.ops.adapt_datetimefield_value(forged.at),
                forged.event,
                forged.summary,
                "{}",
            ],
        )
        cursor.execute("SELECT MAX(id) FROM audit_auditevent")
        (forged_id,) = cursor.fetchone()
        cursor.execute(chain._walk_sql(connection.vendor, True), [2, 2])
        previous = cursor.fetchone()[1]
        cursor.execute(
            f"SELECT {chain.encoded_sql(connection.vendor)} FROM audit_auditevent e WHERE e.id = %s", [forged_id]
        )
        forged_hash = chain.link_hash(bytes.fromhex(previous), bytes(cursor.fetchone()[0])).hex()
    _sql("INSERT INTO audit_auditlink (position, event_id, hash) VALUES (3, %s, %s)", [forged_id, forged_hash])
    broken = _verify().broken
    assert (broken.position, broken.event_id, broken.kind) == (3, forged_id, "inserted")


def test_verify_names_an_event_slipped_in_below_the_chained_ones(chained):
    _as_attacker()
    _sql(
        "INSERT INTO audit_auditevent (id, at, origin, event, target_type, summary, data) "
        "VALUES (0, %s, '', 'records.access_granted', '', 'backdated', '{}')",
        [connection.ops.adapt_datetimefield_value(chained[0].at)],
    )
    broken = _verify().broken
    assert (broken.position, broken.event_id, broken.kind) == (1, 0, "inserted")


def test_a_consistently_rewritten_chain_is_caught_by_its_signed_checkpoint(chained):
    checkpoints.ensure_signing_key()
    signed = checkpoints.checkpoint_now()
    assert signed.position == 6
    assert AuditEvent.objects.filter(event=EventType.AUDIT_CHECKPOINT).count() == 1
    _as_attacker()
    _sql("UPDATE audit_auditevent SET summary = 'nothing to see' WHERE id = %s", [chained[2].pk])
    _sql("DELETE FROM audit_auditlink WHERE position >= 3")
    chain.chain_pending(stragglers=True, checkpoint=False)  # every hash recomputed from position 3 on
    assert chain.walk().broken is None  # the chain alone looks fine
    broken = _verify().broken
    assert (broken.position, broken.kind) == (6, "checkpoint")
    assert "rewritten" in broken.detail


def test_a_chain_cut_short_below_a_checkpoint_is_caught(chained):
    checkpoints.ensure_signing_key()
    checkpoints.checkpoint_now()
    _as_attacker()
    _sql("DELETE FROM audit_auditlink WHERE position >= 5")
    _sql("DELETE FROM audit_auditevent WHERE id >= %s", [chained[4].pk])
    broken = _verify().broken
    assert broken.kind == "checkpoint" and "chain ends at 4" in broken.detail


def test_a_forged_checkpoint_is_caught(chained):
    checkpoints.ensure_signing_key()
    checkpoints.checkpoint_now()
    path = checkpoints.checkpoints_path()
    line = json.loads(path.read_text())
    line["position"] = 5
    path.write_text(json.dumps(line) + "\n")
    broken = _verify().broken
    assert broken.kind == "checkpoint" and "signature is not valid" in broken.detail


def test_checkpoints_without_a_public_key_give_a_clear_error(chained):
    checkpoints.ensure_signing_key()
    checkpoints.checkpoint_now()
    checkpoints.public_key_path().unlink()
    with pytest.raises(CommandError, match=r"audit public key .*audit-signing.key.pub is missing"):
        call_command("audit", "verify", stdout=io.StringIO())


def test_checkpoint_without_a_signing_key_gives_a_clear_error(chained):
    with pytest.raises(CommandError, match=r"audit signing key .* is missing: `registrum init` creates one"):
        call_command("audit", "checkpoint", stdout=io.StringIO())


def test_signing_key_is_private(chained):
    assert checkpoints.ensure_signing_key()
    assert checkpoints.signing_key_path().stat().st_mode & 0o777 == 0o600
    assert checkpoints.signing_key_path().parent.stat().st_mode & 0o777 == 0o700
    assert not checkpoints.ensure_signing_key()  # kept, never replaced


def test_audit_verify_command_reports_intact_and_exits_nonzero_on_a_break(chained):
    checkpoints.ensure_signing_key()
    call_command("audit", "checkpoint", stdout=io.StringIO())
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    text = out.getvalue()
    assert "7 event(s) checked" in text  # six downloads and the checkpoint's own event
    assert "1 signed checkpoint(s) verified" in text
    assert "audit trail intact: positions 1 to 7" in text
    _as_attacker()
    _sql("UPDATE audit_auditevent SET summary = 'x' WHERE id = %s", [chained[1].pk])
    with pytest.raises(CommandError, match=rf"BROKEN at position 2 \(event id {chained[1].pk}\): altered") as raised:
        call_command("audit", "verify", stdout=io.StringIO())
    assert raised.value.returncode == 1


def test_checkpoint_falls_due_after_enough_positions_or_time(monkeypatch, chained):
    checkpoints.ensure_signing_key()
    top = chain.head()
    assert checkpoints.sign_if_due(top).position == 6  # the first one is due at once
    assert checkpoints.sign_if_due(chain.Head(7, top.hash)) is None  # one position, no time
    monkeypatch.setattr(checkpoints, "EVERY_POSITIONS", 2)
    assert checkpoints.sign_if_due(chain.Head(8, top.hash)).position == 8
    monkeypatch.setattr(checkpoints.time, "time", lambda: checkpoints.read_last().at_epoch + 601)
    assert checkpoints.sign_if_due(chain.Head(9, top.hash)).position == 9  # one position, ten minutes


@pytest.mark.django_db(transaction=True)
def test_committed_events_are_linked_and_signed_without_anyone_asking():
    checkpoints.ensure_signing_key()
    events = _record(3)  # three real commits, each linked by its own pass after commit
    last = checkpoints.read_last()
    assert last is not None and last.position == 1  # the first pass signs at once; then not due
    assert AuditLink.objects.count() == len(events) + 1  # and the checkpoint's own event is linked
    verdict = _verify()
    assert verdict.broken is None and verdict.checkpoints == 1


def test_requests_and_commands_name_their_origin(rf: RequestFactory, world):
    seen = {}

    def view(request):
        with transaction.atomic():
            seen[request.path] = audit.record(world.clerk, EventType.VERSION_VIEWED, None)
        from django.http import HttpResponse

        return HttpResponse()

    middleware = AuditOriginMiddleware(view)
    middleware(rf.get("/documents/x", REMOTE_ADDR="203.0.113.5"))
    middleware(rf.get("/api/v1/documents", REMOTE_ADDR="10.0.0.1"))
    assert AuditEvent.objects.get(pk=seen["/documents/x"].pk).origin == "web 203.0.113.5"
    assert AuditEvent.objects.get(pk=seen["/api/v1/documents"].pk).origin == "api 10.0.0.1"
    with transaction.atomic():
        outside = audit.record(None, EventType.VERSION_VIEWED, None)
    assert outside.origin == "system"


def test_an_operator_acting_for_someone_records_both(world):
    with audit.acting(origin="cli operator@registry-host", on_behalf_of=world.reader), transaction.atomic():
        event = audit.record(world.clerk, EventType.ACCESS_GRANTED, None)
        self_event = audit.record(world.reader, EventType.ACCESS_GRANTED, None)
        audit.record_many(world.clerk, EventType.DOCUMENT_REGISTERED, "document", [(1, "one"), (2, "two")])
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor_id, stored.on_behalf_of_id, stored.origin) == (
        world.clerk.pk,
        world.reader.pk,
        "cli operator@registry-host",
    )
    assert AuditEvent.objects.get(pk=self_event.pk).on_behalf_of_id is None  # acting for oneself
    bulk = AuditEvent.objects.filter(event=EventType.DOCUMENT_REGISTERED)
    assert {(e.on_behalf_of_id, e.origin) for e in bulk} == {(world.reader.pk, "cli operator@registry-host")}


def test_cli_origin_names_the_operating_system_account():
    import getpass
    import socket

    assert audit.context.cli_origin() == f"cli {getpass.getuser()}@{socket.gethostname()}"


def test_an_import_batch_is_linked_in_one_pass(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        audit.record_many(None, EventType.DOCUMENT_REGISTERED, "document", [(n, f"doc {n}") for n in range(1, 25_001)])
    assert len(callbacks) == 1
    assert AuditLink.objects.count() == 25_000
    assert _verify().walk.checked == 25_000


@pytest.mark.django_db(transaction=True)
def test_a_chain_walked_by_two_processes_names_the_same_first_break(monkeypatch):
    monkeypatch.setattr(chain, "PARALLEL_FROM", 1)
    events = _record(9)
    whole = chain.walk_in_parallel(jobs=2)
    assert whole.broken is None and whole.checked == 9
    _as_attacker()
    _sql("UPDATE audit_auditevent SET summary = 'x' WHERE id IN (%s, %s)", [events[7].pk, events[3].pk])
    broken = chain.walk_in_parallel(jobs=2).broken
    assert (broken.position, broken.event_id, broken.kind) == (4, events[3].pk, "altered")
    _sql("UPDATE audit_auditevent SET summary = %s WHERE id = %s", [events[3].summary, events[3].pk])
    broken = chain.walk_in_parallel(jobs=2).broken  # the second process's range
    assert (broken.position, broken.event_id, broken.kind) == (8, events[7].pk, "altered")
    triggers.create(connection)
