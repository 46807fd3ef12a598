from django.apps import AppConfig


class M365Config(AppConfig):
    name = "onramp.m365"
    label = "m365"
    verbose_name = "Microsoft 365"
