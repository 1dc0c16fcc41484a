from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "registrum.records"
    label = "records"

    def ready(self) -> None:
        from registrum.records import auditing

        auditing.register()
