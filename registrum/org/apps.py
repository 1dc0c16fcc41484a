from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "registrum.org"
    label = "org"

    def ready(self) -> None:
        from registrum.org import auditing

        auditing.register()
