from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "registrum.records"
    label = "records"
