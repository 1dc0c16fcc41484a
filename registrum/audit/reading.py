"""Reading the audit trail: the auditor's filters, events rendered in the reader's language, and
details withheld where they would show a document above the reader's clearance.

The trail is the ground floor and knows no domain; a domain tells it about its own targets at
start-up (`register_target_kind`, `register_renderers`: the records app does, for documents).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from registrum.audit import record
from registrum.audit.events import EventType
from registrum.audit.models import AuditEvent
from registrum.audit.refusals import Refused
from registrum.csvcells import neutralise
from registrum.policy import AUDIT_TRAIL, Action, Decision, active_policy, clearance_ceiling, may

Renderer = Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class TargetKind:
    """What a domain tells the trail's readers about one kind of target (a document)."""

    # The ids of the targets a reference typed by the reader names (a public id, a registration
    # number), among those shown: a reference to anything else finds nothing.
    find: Callable[[Any, str], list[int]]
    # {id: (how the reader names the target: its public id, its classification level)}.
    labels: Callable[[list[int]], dict[int, tuple[str, int]]]
    # The targets whose details the reader may see (a queryset of the target's model); None:
    # nothing of this kind is classified.
    shown: Callable[[Any], QuerySet[Any]] | None = None


_KINDS: dict[str, TargetKind] = {}
_RENDERERS: dict[str, Renderer] = {}


def register_target_kind(target_type: str, kind: TargetKind) -> None:
    _KINDS[target_type] = kind


def register_renderers(renderers: Mapping[str, Renderer]) -> None:
    _RENDERERS.update(renderers)


def _reason(data: dict[str, Any]) -> str:
    """A refusal's reason in the reader's language: the policy's template is in the catalogue."""
    template = str(data.get("reason", ""))
    params = data.get("params") or {}
    text = _(template) if template else ""
    return text % params if params else text


register_renderers(
    {
        EventType.ACCESS_REFUSED.value: lambda d: (
            _("Refused (%(action)s): %(reason)s") % {"action": d["action"], "reason": _reason(d)}
        ),
        EventType.AUDIT_EXPORTED.value: lambda d: (
            _("Audit trail exported with filters: %(filters)s") % {"filters": _filters_text(d["filters"])}
        ),
    }
)


def _filters_text(filters: Mapping[str, Any]) -> str:
    return ", ".join(f"{name}={value}" for name, value in sorted(filters.items())) or _("none")


def describe(event: AuditEvent) -> str:
    """One event's details in the active language; an event this version cannot render shows the
    summary stored with it rather than nothing."""
    render = _RENDERERS.get(event.event)
    if render is None or not isinstance(event.data, dict):
        return str(event.summary)
    try:
        return render(event.data)
    except (KeyError, TypeError, ValueError):
        return str(event.summary)


def event_label(code: str) -> str:
    try:
        return str(EventType(code).label)
    except ValueError:
        return code


# Who may -------------------------------------------------------------------------------------


def may_read_trail(person: Any) -> Decision:
    if not getattr(person, "is_authenticated", False):
        return Decision(False, "not signed in")
    return may(active_policy(), person.subject(), Action.READ_AUDIT, AUDIT_TRAIL, timezone.localdate())


def require_auditor(person: Any) -> None:
    decision = may_read_trail(person)
    if not decision:
        raise Refused(person, Action.READ_AUDIT.value, decision)


# Filters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    # (The chain adds on-behalf-of and origin: each is one more field here and one line in
    # `events_for`, like `actor` and `event`.)
    event: str = ""
    actor: str = ""
    target: str = ""
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""

    def as_data(self) -> dict[str, str]:
        """The filters given, as an export's audit event records them."""
        return {
            name: value.isoformat() if isinstance(value, date) else value
            for name, value in asdict(self).items()
            if value
        }


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def events_for(person: Any, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """The filtered trail, newest first. The caller has checked the reader is an auditor.
    Each filter narrows by an indexed column (time, actor, target) where there is one; the
    free text searches the stored summaries of what the reader may see in full only, so a hit
    never tells of a document above their clearance."""
    qs = AuditEvent.objects.all()
    if filters.event:
        qs = qs.filter(event=filters.event)
    if filters.actor:
        people = get_user_model().objects.filter(username=filters.actor.strip().lstrip("@"))
        qs = qs.filter(actor_id__in=list(people.values_list("pk", flat=True)))
    if filters.target:
        named = Q(pk__in=[])
        for target_type, kind in _KINDS.items():
            ids = kind.find(person, filters.target.strip())
            if ids:
                named |= Q(target_type=target_type, target_id__in=ids)
        qs = qs.filter(named)
    if filters.date_from:
        qs = qs.filter(at__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(at__lt=_day_start(filters.date_to) + timedelta(days=1))
    if filters.q:
        qs = qs.filter(summary__icontains=filters.q.strip())
        # Deny by default: events about a kind of target no domain has described are left out.
        shown = Q(target_type="")
        for target_type, kind in _KINDS.items():
            if kind.shown is None:
                shown |= Q(target_type=target_type)
            else:
                shown |= Q(target_type=target_type, target_id__in=kind.shown(person).values("pk"))
        qs = qs.filter(shown)
    # Newest first, by the time index; a count drops the order and the join (`CappedPaginator`).
    return qs.select_related("actor").order_by("-at", "-id")


# Lines, as pages and exports show them --------------------------------------------------------


@dataclass
class Line:
    event: AuditEvent
    label: str
    target: str
    details: str
    withheld: bool
    data: dict[str, Any] = field(default_factory=dict)
    # The classification of what the line shows (its banner's share).
    level: int = 0
    # Whether `target` names it as the target filter finds it (a link to all its events).
    findable: bool = False

    @property
    def actor(self) -> str:
        actor = self.event.actor
        return actor.username if actor is not None else _("system")


def lines(person: Any, events: list[AuditEvent]) -> list[Line]:
    """The events as the reader may see them: an event about a document above their clearance
    (or an export that held one) keeps its time, actor and kind, but not its details."""
    by_type: dict[str, list[int]] = {}
    for event in events:
        if event.target_type in _KINDS and event.target_id is not None:
            by_type.setdefault(event.target_type, []).append(event.target_id)
    shown: dict[str, set[int]] = {}
    names: dict[str, dict[int, tuple[str, int]]] = {}
    for target_type, ids in by_type.items():
        kind = _KINDS[target_type]
        if kind.shown is None:
            shown[target_type] = set(ids)
        else:
            shown[target_type] = set(kind.shown(person).filter(pk__in=ids).values_list("pk", flat=True))
        names[target_type] = kind.labels(sorted(shown[target_type]))
    ceiling = clearance_ceiling(active_policy(), person.subject(), timezone.localdate())
    out = []
    for event in events:
        withheld = findable = False
        why = _("details withheld: above your clearance")
        target = event.target_type
        level = 0
        if event.target_type in _KINDS and event.target_id is not None:
            withheld = event.target_id not in shown[event.target_type]
            target, level = ("", 0) if withheld else names[event.target_type].get(event.target_id, ("", 0))
            findable = bool(target)
        elif event.target_type:
            # A kind of target no domain has described: it could be classified, so its details
            # wait until its domain says what readers may see of it.
            withheld, why = True, _("details withheld: not described for readers of the trail")
        data = event.data if isinstance(event.data, dict) else {}
        highest = data.get("highest_level")
        if isinstance(highest, int):
            withheld = withheld or highest > ceiling
            level = max(level, highest)
        if withheld:
            details, level, target = why, 0, ""
        else:
            details = describe(event)
        out.append(
            Line(event, event_label(event.event), target, details, withheld, {} if withheld else data, level, findable)
        )
    return out


def _batches(events: Iterable[AuditEvent], size: int) -> Iterator[list[AuditEvent]]:
    iterator = iter(events)
    while batch := list(islice(iterator, size)):
        yield batch


class _Echo:
    """A file whose write returns the line, for csv.writer inside a streamed response."""

    def write(self, value: str) -> str:
        return value


CSV_COLUMNS = ("at", "actor", "event", "kind", "target_type", "target", "details", "withheld", "data")


def export_csv(person: Any, filters: AuditFilters, *, batch: int = 500) -> Iterator[str]:
    """The filtered trail as CSV lines, streamed in batches (each batch's details decided with
    one query per kind of target), cells neutralised against formula injection. The export is
    recorded, with its filters, before the first line leaves: a broken-off download is still
    on the trail."""
    require_auditor(person)
    with transaction.atomic():
        record(
            person,
            EventType.AUDIT_EXPORTED,
            None,
            summary=f"{person.username} exported the audit trail",
            data={"filters": filters.as_data()},
        )
    return _csv_lines(person, filters, batch)


def _csv_lines(person: Any, filters: AuditFilters, batch: int) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for events in _batches(events_for(person, filters).iterator(chunk_size=batch), batch):
        for line in lines(person, events):
            event = line.event
            row = [
                event.at.isoformat(),
                line.actor,
                event.event,
                line.label,
                event.target_type,
                line.target,
                line.details,
                "yes" if line.withheld else "",
                "" if line.withheld else json.dumps(line.data, ensure_ascii=False, sort_keys=True),
            ]
            yield writer.writerow([neutralise(str(cell)) for cell in row])
