from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "registrum.org"
    label = "org"
