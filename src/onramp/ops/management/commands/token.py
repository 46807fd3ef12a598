"""``onramp token create --email EMAIL``: prints a new API token once; only its hash is kept.
It expires after ``--expires-days`` (90 unless given); ``--no-expiry`` asks for a token that
never does."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from onramp.accounts.models import Operator
from onramp.accounts.services import token_create
from onramp.accounts.services.tokens import DEFAULT_EXPIRES_DAYS
from onramp.core.actors import Actor
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
        lifetime = create.add_mutually_exclusive_group()
        lifetime.add_argument("--expires-days", type=int, default=DEFAULT_EXPIRES_DAYS)
        lifetime.add_argument("--no-expiry", action="store_true", help="a token that never expires")

    def handle(self, *args, command, email, name, expires_days, no_expiry, **options):
        operator = Operator.objects.filter(email=email.strip().lower()).first()
        if operator is None:
            raise CommandError(f"--email: no operator has the email {email.strip()!r}.")
        if not operator.is_active:
            raise CommandError(f"--email: the operator {operator.email} is deactivated.")
        try:
            issued = token_create(
                actor=Actor.system(),
                operator=operator,
                name=name,
                expires_days=None if no_expiry else expires_days,
            )
        except InvalidInput as exc:
            raise one_line(exc) from None
        self.stdout.write(issued.value)
