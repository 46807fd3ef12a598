"""The ``onramp`` console script: a thin front to Onramp's Django management commands.

``sandbox`` and ``generate-key`` run without any ONRAMP_* configuration, so they are
dispatched before Django loads; ``demo`` makes its own configuration first, then loads Django.
Every failure ends in one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import os
import sys

# onramp command -> (Django management command, one-line description)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("", "try the product: web, worker, sandbox cloud and mailbox in one process tree"),
    "serve": ("serve", "run the production web server (gunicorn)"),
    "worker": ("worker", "run the background worker (any number may run)"),
    "migrate": ("migrate", "apply database migrations"),
    "provider": ("provider", "provider create --name NAME [--sbc-domain DOMAIN]: prints its id"),
    "operator": ("operator", "operator create --email E --role R --scope S (password on stdin)"),
    "token": ("token", "token create --email EMAIL [--name N] [--expires-days N]: prints it"),
    "validate": ("validate", "re-validate connections now (--all | --service ID)"),
    "rotate-keys": ("rotate_keys", "re-encrypt stored secrets under the first key"),
    "check": ("check", "check the configuration; --deploy: Django's deployment checklist"),
    "sandbox": ("", "run the sandbox cloud (a local stand-in for Microsoft) over HTTPS"),
    "generate-key": ("", "print a new key for ONRAMP_ENCRYPTION_KEYS"),
    "help": ("", "list the commands"),
}

# Commands with subcommands ("onramp provider create …").
NOUNS = frozenset({"provider", "operator", "token"})


def _usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: onramp COMMAND [options]   (onramp COMMAND --help for its options)", ""]
    lines += [f"  {name.ljust(width)}  {text}" for name, (_, text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("help", "-h", "--help"):
        print(_usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"onramp: unknown command {name!r} (see: onramp help)", file=sys.stderr)
        return 2
    if name == "sandbox":
        from onramp.sandbox.server import main as sandbox_main

        return sandbox_main(rest)
    if name == "demo":
        from onramp.ops.demo import main as demo_main

        return demo_main(rest)
    if name == "generate-key":
        from cryptography.fernet import Fernet

        print(Fernet.generate_key().decode())
        return 0
    return _run_django_command(COMMANDS[name][0], name, rest)


def _run_django_command(command: str, name: str, args: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onramp.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import CommandError, get_commands, load_command_class

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        print(f"onramp: {exc}", file=sys.stderr)
        return 2
    app = get_commands().get(command)
    if app is None:
        print(f"onramp: {name!r} is not available in this installation", file=sys.stderr)
        return 2
    handler = load_command_class(app, command)
    parser = handler.create_parser("onramp", name)
    # "onramp operator create: …" names the subcommand too
    label = f"{name} {args[0]}" if name in NOUNS and args and not args[0].startswith("-") else name
    try:
        options = vars(parser.parse_args(args))
        positional = options.pop("args", ())
        handler.execute(*positional, **options)
    except CommandError as exc:
        print(f"onramp {label}: {exc}", file=sys.stderr)
        return exc.returncode
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
