"""Rate limits on credential submissions: parsing, the shared counter, the 429 page."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from onramp.connections.models import ValidationRun
from onramp.core.models import RateLimitBucket
from onramp.core.ratelimit import Rate, RetryAfter, hit, wizard_rates
from onramp.core.tokens import token_hash
from tests.clock import Clock
from tests.wizard.conftest import assert_wizard_headers, find, snapshot, text


@pytest.fixture
def clock() -> Clock:
    """The product runs in processes of their own here, on the wall clock: no in-process pin."""
    return Clock.wall()


@pytest.mark.parametrize(
    ("setting", "link", "client"),
    [
        ("10/10m per link, 30/10m per client", Rate(10, 600), Rate(30, 600)),
        ("", Rate(10, 600), Rate(30, 600)),
        ("1/10m per link, 2/10m per client", Rate(5, 600), Rate(20, 600)),  # raised to floors
        ("6/5m per link, 40/60m per client", Rate(6, 300), Rate(120, 3600)),
        ("3/1m per link , 100/10m per client", Rate(3, 60), Rate(100, 600)),
        ("50/30s per link", Rate(50, 30), Rate(30, 600)),  # the other keeps its default
        ("7/1h PER LINK, 25/10M per client", Rate(30, 3600), Rate(25, 600)),
    ],
)
def test_rate_limit_setting_is_parsed_with_floors(setting, link, client):
    assert wizard_rates(setting) == {"link": link, "client": client}


@pytest.mark.parametrize(
    "setting",
    ["ten per link", "10/10m per day", "10/10m per link, 5/10m per link", "10/0m per link"],
)
def test_a_bad_rate_limit_setting_names_the_variable(setting):
    with pytest.raises(ImproperlyConfigured, match="ONRAMP_WIZARD_RATE_LIMITS"):
        wizard_rates(setting)


@pytest.mark.django_db
def test_hit_counts_in_fixed_windows_and_says_how_long_to_wait():
    at = datetime(2030, 1, 1, 12, 3, 20, tzinfo=UTC)  # 200 s into a 600 s window
    assert [hit("k", 3, 600, now=at) for _ in range(3)] == [None, None, None]
    assert hit("k", 3, 600, now=at) == RetryAfter(400)
    assert hit("other", 3, 600, now=at) is None
    later = datetime(2030, 1, 1, 12, 10, 0, tzinfo=UTC)  # the next window
    assert hit("k", 3, 600, now=later) is None
    assert list(RateLimitBucket.objects.filter(key="k").values_list("count", flat=True)) == [1]


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_are_all_counted():
    at = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
    results: list[RetryAfter | None] = []
    lock = threading.Lock()

    def worker():
        from django.db import connection as own

        try:
            for _ in range(5):
                outcome = hit("race", 25, 600, now=at)
                with lock:
                    results.append(outcome)
        finally:
            own.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert RateLimitBucket.objects.get(key="race").count == 40
    assert sum(r is None for r in results) == 25
    assert sum(r is not None for r in results) == 15


WORKER = """
import django
django.setup()
from datetime import UTC, datetime
from onramp.core.ratelimit import hit
at = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
print(sum(hit("processes", 60, 600, now=at) is None for _ in range(25)))
"""


@pytest.mark.django_db(transaction=True)
def test_hits_from_several_processes_are_all_counted(tmp_path):
    """Four OS processes share one counter: on SQLite (a file, as deployed) and PostgreSQL."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "onramp.settings"}
    if connection.vendor == "sqlite":
        env["ONRAMP_DATABASE_URL"] = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
        subprocess.run(
            [sys.executable, "-m", "django", "migrate", "-v0"], env=env, check=True, timeout=120
        )
    else:
        db = connection.settings_dict
        env["ONRAMP_DATABASE_URL"] = (
            f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        )
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    allowed = [int(worker.communicate(timeout=120)[0]) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0, 0, 0]
    assert sum(allowed) == 60
    if connection.vendor == "sqlite":
        with sqlite3.connect(tmp_path / "shared.sqlite3") as shared:
            query = "SELECT count FROM core_ratelimitbucket WHERE key = 'processes'"
            assert shared.execute(query).fetchall() == [(100,)]
    else:
        assert RateLimitBucket.objects.get(key="processes").count == 100


def _post(client, link, **extra):
    return client.post(
        link.path,
        {
            "method": "app-registration",
            "tenant_id": "bad",
            "client_id": "bad",
            "client_secret": "Zq8~a-secret-that-must-not-leak",
        },
        **extra,
    )


@pytest.mark.django_db
def test_per_link_limit_gives_429_with_retry_after_and_validates_nothing(
    client, settings, link, sandbox
):
    settings.WIZARD_RATE_LIMITS = "5/10m per link, 30/10m per client"
    before = snapshot(link.invitation)
    statuses = [_post(client, link).status_code for _ in range(5)]
    assert statuses == [422] * 5
    response = _post(client, link)
    assert response.status_code == 429
    assert_wizard_headers(response)
    assert 1 <= int(response["Retry-After"]) <= 600
    assert text(find(response, "h1")[0]["text"]) == "Too many attempts"
    assert "Zq8~a-secret-that-must-not-leak" not in response.content.decode()
    assert sandbox.admin.requests_served() == []
    assert ValidationRun.objects.count() == 0
    assert snapshot(link.invitation) == before
    assert client.get(link.path).status_code == 200  # viewing the page is not limited


@pytest.mark.django_db
def test_per_client_limit_counts_across_links(client, settings, make_link):
    settings.WIZARD_RATE_LIMITS = "5/10m per link, 20/10m per client"
    links = [make_link(short_name=f"Svc-{n}") for n in range(5)]
    statuses = [_post(client, links[n % 5]).status_code for n in range(20)]
    assert statuses == [422] * 20
    blocked = _post(client, links[0])
    assert blocked.status_code == 429
    assert_wizard_headers(blocked)
    assert 1 <= int(blocked["Retry-After"]) <= 600
    # requests for unknown links count for the client too
    assert client.post("/invite/" + "z" * 43, {}).status_code == 429
    # another client is served on the same links until each link's own limit
    assert _post(client, links[1], REMOTE_ADDR="192.0.2.7").status_code == 422
    assert _post(client, links[1], REMOTE_ADDR="192.0.2.7").status_code == 429
    counts = dict(RateLimitBucket.objects.values_list("key", "count"))
    assert counts["wizard:client:127.0.0.1"] == 22
    assert counts["wizard:client:192.0.2.7"] == 2
    assert counts[f"wizard:link:{token_hash(links[0].token)}"] == 4  # refused: not counted
    assert "wizard:link:" + token_hash("z" * 43) not in counts
    assert counts[f"wizard:link:{token_hash(links[1].token)}"] == 6


@pytest.mark.django_db
def test_the_client_address_comes_from_the_trusted_proxy_header(client, settings, make_link):
    settings.WIZARD_RATE_LIMITS = "5/10m per link, 20/10m per client"
    settings.TRUSTED_PROXIES = 1
    links = [make_link(short_name=f"Svc-{n}") for n in range(5)]
    for n in range(20):
        _post(client, links[n % 5], HTTP_X_FORWARDED_FOR="198.51.100.4")
    assert _post(client, links[0], HTTP_X_FORWARDED_FOR="198.51.100.4").status_code == 429
    assert _post(client, links[1], HTTP_X_FORWARDED_FOR="198.51.100.5").status_code == 422
