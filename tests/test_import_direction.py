"""Dependencies between apps run one way, downwards (DESIGN.md "Layout"), kept by a test over the
import graph of src/onramp: an upward import fails here, not in review.

Every import statement counts, also those inside functions and under TYPE_CHECKING. Dotted paths
in strings (``include("onramp.tenancy.urls")``, task names) are not imports and are not checked.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

import onramp

SRC = Path(onramp.__file__).parent

# The apps, and the modules at the top (settings, urls, cli, wsgi, asgi), by name.
APPS = frozenset(
    path.stem
    for path in SRC.iterdir()
    if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
)

# What runs or fronts the product (nothing below imports it), and the stand-in for Microsoft
# (only the demo starts it; the product never imports it).
ENTRY = frozenset({"cli", "urls", "wsgi", "asgi", "settings", "ops", "api", "sandbox"})
DOMAIN = frozenset({"services", "health", "invitations", "directrouting", "createdapp"})

# (app, the apps it must not import): one line per rule. A page (``views``, ``urls``) sits at
# the top whatever its app, so it may call the domain apps' writes (the wizard's views call
# ``services.onboarding``); nothing else is exempt.
PAGES = ("/views.py", "/urls.py")
RULES: list[tuple[str, frozenset[str]]] = [
    ("core", APPS),  # at the bottom: shared bits with no domain
    ("m365", APPS),  # the one boundary to Microsoft: no models, no app
    ("sandbox", APPS),  # knows nothing of the product it stands in front of
    ("api", ENTRY),
    ("services", ENTRY | {"health", "directrouting", "createdapp"}),
    ("health", ENTRY | {"directrouting", "createdapp"}),
    ("directrouting", ENTRY | {"health", "invitations", "createdapp"}),  # beside services
    ("createdapp", ENTRY | {"health", "directrouting"}),  # above services: ends in onboarding
    ("invitations", ENTRY | DOMAIN),  # services.onboarding moves a service with its invitation
    ("connections", ENTRY | DOMAIN),  # below invitations and services: what both hold
    ("notifications", ENTRY | DOMAIN | {"connections"}),  # delivery is read, not written back
    ("tenancy", ENTRY | DOMAIN | {"connections"}),
    ("accounts", ENTRY | DOMAIN | {"connections"}),
    ("audit", ENTRY | DOMAIN | {"connections"}),
]


def _module(path: Path) -> list[str]:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imported(path: Path) -> set[str]:
    """The modules (or packages) the file imports, relative imports resolved."""
    package = _module(path) if path.name == "__init__.py" else _module(path)[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            if module == "onramp":  # from onramp import settings
                found.update(f"onramp.{alias.name}" for alias in node.names)
            else:
                found.add(module)
    return found


@functools.cache
def imports() -> dict[str, list[tuple[str, str]]]:
    """app -> (importing file, imported module) for every import of the app's files (the
    package's own ``__init__.py`` belongs to no app)."""
    graph: dict[str, list[tuple[str, str]]] = {app: [] for app in APPS}
    for path in sorted(set(SRC.rglob("*.py")) - {SRC / "__init__.py"}):
        app = _module(path)[1]
        where = str(path.relative_to(SRC.parent))
        graph[app] += [(where, module) for module in sorted(_imported(path))]
    return graph


def _app(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "onramp" and len(parts) > 1 else None


def test_the_rules_name_real_apps():
    named = {app for app, _ in RULES} | {app for _, apps in RULES for app in apps}
    assert named - APPS == set()


def _is_page(where: str) -> bool:
    return where.endswith(PAGES) or "/views/" in where


@pytest.mark.parametrize(("app", "forbidden"), RULES, ids=[app for app, _ in RULES])
def test_no_app_imports_one_above_it(app, forbidden):
    upward = [
        f"{where}: {module}"
        for where, module in imports()[app]
        if _app(module) in forbidden - {app} and not (_is_page(where) and _app(module) in DOMAIN)
    ]
    assert upward == []


def test_m365_takes_nothing_from_django_but_settings():
    """Its apps.py registers the package with Django (AppConfig); nothing else may lean on it."""
    leaning = [
        f"{where}: {module}"
        for where, module in imports()["m365"]
        if module.split(".")[0].startswith("django")
        and module != "django.conf"
        and not where.endswith("m365/apps.py")
    ]
    assert leaning == []
