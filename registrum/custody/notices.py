"""Notices to the people concerned by a change of a document (a regrading): a line on their
dashboard and an e-mail, sent after the change commits. A notice names the document by its
public id and states the new marking, never its subject: a person told of an upgrade may no
longer be allowed to read it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from registrum.custody.models import ChargeOut, Copy, CopyStatus, Notice
from registrum.custody.models.copies import ON_HAND
from registrum.org.models import Person, RegistryStaff
from registrum.records.models import Access, Document, Registration

log = logging.getLogger(__name__)

REGRADE = "regrade"


def concerned_people(document: Document) -> set[int]:
    """Everyone to tell of a change of the document: persons holding a copy (hand receipt or open
    charge-out), the staff of every registry holding a copy or a registration of it, and every
    person a need-to-know row names (addressees, grantees, copy holders)."""
    live_copies = Copy.objects.filter(document=document).exclude(status__in=(CopyStatus.DESTROYED, CopyStatus.LOST))
    people: set[int] = set(live_copies.filter(person__isnull=False).values_list("person_id", flat=True))
    people |= set(
        ChargeOut.objects.filter(copy__document=document, checked_in_at__isnull=True).values_list(
            "reader_id", flat=True
        )
    )
    registries = set(
        live_copies.filter(registry__isnull=False, status__in=ON_HAND).values_list("registry_id", flat=True)
    )
    registries |= set(
        Registration.objects.filter(document=document, voided_at__isnull=True).values_list("registry_id", flat=True)
    )
    people |= set(RegistryStaff.objects.filter(registry_id__in=registries).values_list("person_id", flat=True))
    people |= set(Access.objects.filter(document=document, person__isnull=False).values_list("person_id", flat=True))
    return people


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    body: str


def notify(
    people: Iterable[int], document: Document, kind: str, text_for: Callable[[], str], now: datetime, *, subject: str
) -> list[Notice]:
    """Write one notice per person (in the current transaction) and send each person with an
    address an e-mail once it commits. `text_for()` is called in the site's language."""
    recipients = list(Person.objects.filter(pk__in=set(people), is_active=True).order_by("pk"))
    if not recipients:
        return []
    with translation.override(settings.LANGUAGE_CODE):
        text, heading = text_for(), subject
    notices = Notice.objects.bulk_create(
        [Notice(person=p, document=document, kind=kind, text=text[:500], created_at=now) for p in recipients]
    )
    outgoing = [Outgoing(p.email, heading, _mail_body(text)) for p in recipients if p.email]
    if outgoing:
        transaction.on_commit(lambda: start_sending(outgoing))
    return notices


def _mail_body(text: str) -> str:
    return "\n\n".join(
        [
            text,
            _("Your notices in Registrum: %(path)s") % {"path": "/custody/notices/"},
            _("This message names the document only; read it in Registrum if you may."),
        ]
    )


def start_sending(messages: list[Outgoing]) -> threading.Thread:
    """Send in the background: a request never waits for the mail server."""
    sender = threading.Thread(target=send_now, args=(messages,), name="notice-mail", daemon=True)
    sender.start()
    return sender


def send_now(messages: list[Outgoing]) -> None:
    try:
        with get_connection() as connection:
            connection.send_messages(
                [EmailMessage(m.subject, m.body, settings.DEFAULT_FROM_EMAIL, [m.to]) for m in messages]
            )
    except Exception:  # the mail server's problem: logged for the operator; the notices stay
        log.exception("sending %d notice e-mails failed", len(messages))


# Reading -------------------------------------------------------------------------------------


def notices_of(person: Person, *, unread_only: bool = False) -> QuerySet[Notice]:
    """A person's own notices, newest first (only their own: nobody reads another's)."""
    notices = Notice.objects.filter(person=person).select_related("document")
    return notices.filter(read_at__isnull=True) if unread_only else notices


@dataclass(frozen=True)
class Shown:
    notice: Notice
    # The document, when the person may still see it (an upgrade may have taken it away).
    readable: Document | None


def notices_for_page(person: Person, limit: int = 200) -> list[Shown]:
    notices = list(Notice.objects.filter(person=person)[:limit])
    ids = {n.document_id for n in notices if n.document_id}
    readable = {d.pk: d for d in Document.objects.visible_to(person).filter(pk__in=ids)}
    return [Shown(n, readable.get(n.document_id) if n.document_id else None) for n in notices]


def unread_count(person: Person) -> int:
    return Notice.objects.filter(person=person, read_at__isnull=True).count()


def mark_read(person: Person, notice_id: int | None = None) -> int:
    """Mark one of the person's notices (or all of them) as read; another's notice is not found."""
    notices = Notice.objects.filter(person=person, read_at__isnull=True)
    if notice_id is not None:
        if not Notice.objects.filter(person=person, pk=notice_id).exists():
            raise Http404("no such notice")
        notices = notices.filter(pk=notice_id)
    return notices.update(read_at=timezone.now())
