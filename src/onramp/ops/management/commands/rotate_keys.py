"""``onramp rotate-keys``: re-encrypt every stored secret under the first key; prints a count."""

from django.core.management.base import BaseCommand, CommandError

from onramp.core.actors import Actor
from onramp.ops.rotation import RotationError, keys_rotate


class Command(BaseCommand):
    help = "Re-encrypt every stored secret under the first key of ONRAMP_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        try:
            count = keys_rotate(actor=Actor.system())
        except RotationError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(str(count))
