from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "registrum.accounts"
    label = "accounts"
