from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "registrum.demo"
    label = "demo"
