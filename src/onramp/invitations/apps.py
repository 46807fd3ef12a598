from django.apps import AppConfig


class InvitationsConfig(AppConfig):
    name = "onramp.invitations"
    label = "invitations"
