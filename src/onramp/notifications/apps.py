from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "onramp.notifications"
    label = "notifications"
