from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "registrum.audit"
    label = "audit"
