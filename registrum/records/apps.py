from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "registrum.records"
    label = "records"

    def ready(self) -> None:
        from registrum.records import (
            auditing,
            encryption,  # noqa: F401  (registers the key-encryption key check)
        )

        auditing.register()
