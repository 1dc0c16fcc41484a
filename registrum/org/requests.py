"""The request type of the faces: behind login_required or a bearer token the user is a Person."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from registrum.org.models import Person


class PersonRequest(HttpRequest):
    user: Person  # narrowed from User | AnonymousUser, as django-stubs recommends
    htmx: HtmxDetails
