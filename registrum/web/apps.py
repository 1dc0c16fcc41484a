from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "registrum.web"
    label = "web"
