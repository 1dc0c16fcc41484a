"""What the faces share: the request type (behind login_required or a bearer token the user is a
Person), and names taken from a URL."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django_htmx.middleware import HtmxDetails

from registrum.org.models import Person


class PersonRequest(HttpRequest):
    user: Person  # narrowed from User | AnonymousUser, as django-stubs recommends
    htmx: HtmxDetails


def path_key(value: str) -> str:
    """A username or code taken from a URL, as a lookup can use it: text no database can hold (a
    NUL, a lone surrogate; PostgreSQL refuses a NUL even in a query) names nothing, so 404."""
    if "\x00" in value or len(value) > 200:
        raise Http404("no such name")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Http404("no such name") from None
    return value
