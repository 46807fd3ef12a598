from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "onramp.accounts"
    label = "accounts"
