from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "registrum.accounts"
    label = "accounts"

    def ready(self) -> None:
        from registrum.accounts import signals  # noqa: F401  (connects the audit receivers)
