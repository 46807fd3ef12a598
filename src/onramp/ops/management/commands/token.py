"""``onramp token create --email EMAIL``: prints a new API token once; only its hash is kept."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from onramp.accounts.models import Operator
from onramp.accounts.services import token_create
from onramp.audit.services import Actor
from onramp.core.errors import InvalidInput
from onramp.ops.management.commands._cli import one_line


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # as createsuperuser: data entry, not start-up
    help = "Manage API tokens."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True, metavar="create")
        create = commands.add_parser("create", help="create an API token; prints it once")
        create.add_argument("--email", required=True, help="the operator the token acts as")
        create.add_argument("--name", default="")
        create.add_argument("--expires-days", type=int, default=None)

    def handle(self, *args, command, email, name, expires_days, **options):
        operator = Operator.objects.filter(email=email.strip().lower()).first()
        if operator is None:
            raise CommandError(f"--email: no operator has the email {email.strip()!r}.")
        if not operator.is_active:
            raise CommandError(f"--email: the operator {operator.email} is deactivated.")
        try:
            issued = token_create(
                actor=Actor.system(), operator=operator, name=name, expires_days=expires_days
            )
        except InvalidInput as exc:
            raise one_line(exc) from None
        self.stdout.write(issued.value)
