"""``onramp worker``: a django-q2 cluster (settings.Q_CLUSTER) that runs the background tasks.

Any number may run against one database. SIGTERM (or Ctrl-C) to this process stops it
gracefully: running tasks finish, unstarted ones stay queued for another worker.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from onramp.core.logging import install_masking
from onramp.ops.schedules import ensure_schedules


class Command(BaseCommand):
    help = "Run the background worker."

    def add_arguments(self, parser):
        parser.add_argument(
            "--concurrency",
            type=int,
            default=None,
            help="parallel tasks (default: Q_CLUSTER workers, ONRAMP_WORKER_CONCURRENCY)",
        )

    def handle(self, *args, concurrency, **options):
        if concurrency is not None and concurrency < 1:
            raise CommandError(f"--concurrency must be at least 1, got {concurrency}")
        from django_q.cluster import Cluster
        from django_q.conf import Conf

        if concurrency is not None:
            # Conf is read from settings when django_q is imported; the pool size is read at start.
            settings.Q_CLUSTER["workers"] = Conf.WORKERS = concurrency
        install_masking()
        try:
            ensure_schedules()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        connections.close_all()  # the cluster forks: no connection may be shared with children
        cluster = Cluster()  # installs its SIGTERM/SIGINT handlers: they stop it gracefully
        cluster.start()
        sentinel = cluster.sentinel
        while sentinel.is_alive():
            sentinel.join(0.5)
        if sentinel.exitcode:
            raise CommandError(f"the worker stopped unexpectedly (exit code {sentinel.exitcode})")
