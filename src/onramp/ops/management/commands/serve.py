"""``onramp serve``: gunicorn in front of the WSGI app; static files come from whitenoise.

Its logger class masks invitation tokens in the access log and in every other log record.
"""

import os
import sys

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run the production web server."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        # Threads let a worker wait on the database (commits) for one request while serving
        # another; more than one selects gunicorn's gthread worker.
        parser.add_argument("--threads", type=int, default=1)

    def handle(self, *args, host, port, workers, threads, **options):
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, got {port}")
        if workers < 1:
            raise CommandError(f"--workers must be at least 1, got {workers}")
        if threads < 1:
            raise CommandError(f"--threads must be at least 1, got {threads}")
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "onramp.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--no-control-socket",
            "--access-logfile",
            "-",
            "--logger-class",
            "onramp.core.logging.GunicornLogger",
        ]
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with gunicorn
