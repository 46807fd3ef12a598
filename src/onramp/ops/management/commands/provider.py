"""``onramp provider create --name NAME [--sbc-domain DOMAIN]``: prints the new provider's id."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from onramp.core.actors import Actor
from onramp.core.errors import InvalidInput
from onramp.ops.management.commands._cli import one_line
from onramp.tenancy.services import provider_create


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # as createsuperuser: data entry, not start-up
    help = "Manage service providers."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True, metavar="create")
        create = commands.add_parser("create", help="create a provider; prints its id")
        create.add_argument("--name", required=True)
        create.add_argument("--sbc-domain", default="")

    def handle(self, *args, command, name, sbc_domain, **options):
        try:
            provider = provider_create(actor=Actor.system(), name=name, sbc_domain=sbc_domain)
        except InvalidInput as exc:
            raise one_line(exc) from None
        self.stdout.write(str(provider.pk))
