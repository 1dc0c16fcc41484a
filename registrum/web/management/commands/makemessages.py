"""Django's makemessages, also extracting the policy's reasons, which are marked N_("...")
(the policy stays free of Django, so it cannot call gettext_noop)."""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=N_"]
