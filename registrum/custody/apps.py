from django.apps import AppConfig


class CustodyConfig(AppConfig):
    name = "registrum.custody"
    label = "custody"

    def ready(self) -> None:
        from registrum.custody import auditing

        auditing.register()
