from django.apps import AppConfig


class CreatedAppConfig(AppConfig):
    name = "onramp.createdapp"
    label = "createdapp"
    verbose_name = "Create the app registration for me"
