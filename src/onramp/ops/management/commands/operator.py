"""``onramp operator create``: the password comes on standard input, never on the command line
(where every user of the machine could read it in the process list)."""

from __future__ import annotations

import getpass
import sys

from django.core.management.base import BaseCommand, CommandError

from onramp.accounts.services import operator_create
from onramp.core.actors import Actor
from onramp.core.errors import InvalidInput
from onramp.ops.management.commands._cli import one_line


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # as createsuperuser: data entry, not start-up
    help = "Manage operators."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True, metavar="create")
        create = commands.add_parser(
            "create", help="create an operator (password on stdin, one line); prints its id"
        )
        create.add_argument("--email", required=True)
        create.add_argument("--role", required=True, help="admin, operator or monitor")
        create.add_argument(
            "--scope", required=True, help="system, provider:ID, channel:ID or customer:ID"
        )

    def handle(self, *args, command, email, role, scope, **options):
        password = _read_password()
        try:
            operator = operator_create(
                actor=Actor.system(), email=email, role=role, scope=scope, password=password
            )
        except InvalidInput as exc:
            raise one_line(exc) from None
        self.stdout.write(str(operator.pk))


def _read_password() -> str:
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CommandError("password: give the password on standard input (one line).")
    return password
