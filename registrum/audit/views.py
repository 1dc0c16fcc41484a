"""The auditor's pages. Thin: the filters in, the trail's reader (`reading`) out."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from registrum.audit import reading
from registrum.audit.forms import AuditFilterForm
from registrum.paging import CappedPaginator

PAGE_SIZE = 50


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def audit_list(request: HttpRequest) -> HttpResponse:
    person = request.user
    reading.require_auditor(person)
    form = AuditFilterForm(request.GET or None)
    filters = form.filters()
    events = reading.events_for(person, filters)
    paginator = CappedPaginator(events, PAGE_SIZE, count_queryset=events)
    page = paginator.get_page(request.GET.get("page"))
    lines = reading.lines(person, list(page.object_list))
    return render(
        request,
        "audit/list.html",
        {
            "form": form,
            "page": page,
            "lines": lines,
            "query": _query_without_page(request),
            "page_level": max((line.level for line in lines), default=0),
        },
    )


def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered trail as CSV, streamed; the export is itself on the trail."""
    form = AuditFilterForm(request.GET or None)
    rows = reading.export_csv(request.user, form.filters())
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
