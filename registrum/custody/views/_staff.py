"""What the custody pages of the chargeout, inventory and loss parts share: the registry the page
is about (?registry=CODE, or the first the person staffs), refused to whoever is not its staff."""

from __future__ import annotations

from django.http import Http404

from registrum.custody.common import require_staff
from registrum.org.models import Person, Registry


def staffed_registry(person: Person, code: str | None, action: str) -> Registry:
    if code:
        registry = Registry.objects.filter(code=code.strip()).first()
        if registry is None:
            raise Http404("no such registry")
    else:
        registry = Registry.objects.filter(pk__in=person.subject().registries).order_by("code").first()
    require_staff(person, registry, action)
    if registry is None:  # require_staff has refused it already
        raise Http404("no registry")
    return registry


def staffed_registries(person: Person) -> list[Registry]:
    return list(Registry.objects.filter(pk__in=person.subject().registries).order_by("code"))
