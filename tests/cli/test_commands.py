"""``onramp provider|operator|token create``: only the new id or token on stdout; every bad input
is one line on stderr, a non-zero exit, and nothing created."""

from __future__ import annotations

import hashlib
import json
import re
import uuid

import pytest

PASSWORD = "a long enough passphrase 7"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\n")


def created_id(result) -> str:
    assert (result.returncode, result.stderr) == (0, "")
    assert UUID.fullmatch(result.stdout), result.stdout
    return result.stdout.strip()


@pytest.fixture
def provider_id(database) -> str:
    return created_id(database.onramp("provider", "create", "--name", "Northwind Voice"))


def test_provider_create_prints_only_the_id(database):
    provider_id = created_id(
        database.onramp(
            "provider", "create", "--name", " Northwind Voice ", "--sbc-domain", "SBC.North.example"
        )
    )
    assert database.scenario("provider", provider_id) == {
        "name": "Northwind Voice",
        "sbc_domain": "sbc.north.example",
        "audit": ["provider.created", "system"],
    }


def test_provider_create_refuses_bad_input(database, provider_id):
    before = database.scenario("counts")
    for args, stderr in [
        (["--name", "Northwind Voice"], "--name: A provider with this name already exists."),
        (["--name", "  "], "--name: Enter a name of at most 200 characters."),
        (["--name", "N", "--sbc-domain", "d" * 254], "--sbc-domain: Use at most 253 characters."),
        ([], "Error: the following arguments are required: --name"),
    ]:
        result = database.onramp("provider", "create", *args)
        assert (result.returncode, result.stdout, result.stderr) == (
            1,
            "",
            f"onramp provider create: {stderr}\n",
        )
    assert database.scenario("counts") == before


def test_a_noun_without_its_verb_is_one_line(database):
    result = database.onramp("provider")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "onramp provider: Error: the following arguments are required: create\n"
    result = database.onramp("token", "delete")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "onramp token delete: Error: argument create: invalid choice: 'delete' "
        "(choose from 'create')\n"
    )


def test_operator_create_reads_the_password_from_stdin(database, provider_id):
    result = database.onramp(
        "operator",
        "create",
        "--email",
        "Admin@Northwind.example",
        "--role",
        "admin",
        "--scope",
        f"provider:{provider_id}",
        stdin=PASSWORD + "\n",
    )
    operator_id = created_id(result)
    facts = database.scenario("operator", operator_id, PASSWORD)
    action, actor_type, changes = facts.pop("audit")
    assert facts == {
        "email": "admin@northwind.example",
        "role": "admin",
        "scope": "provider",
        "provider_id": provider_id,
        "customer_id": None,
        "password_ok": True,
        "second_factor_exempt": False,
    }
    assert (action, actor_type) == ("operator.created", "system")
    assert json.loads(changes) == {
        "new": {
            "email": "admin@northwind.example",
            "role": "admin",
            "scope": f"provider:{provider_id}",
        }
    }
    assert PASSWORD not in result.stdout + result.stderr + changes


def test_operator_create_system_scope(database):
    operator_id = created_id(
        database.onramp(
            "operator",
            "create",
            "--email",
            "root@onramp.example",
            "--role",
            "monitor",
            "--scope",
            "system",
            stdin=PASSWORD,
        )
    )
    facts = database.scenario("operator", operator_id, PASSWORD)
    assert (facts["scope"], facts["role"], facts["provider_id"]) == ("system", "monitor", None)


def test_operator_create_refuses_bad_input(database):
    created_id(
        database.onramp(
            "operator",
            "create",
            "--email",
            "Taken@northwind.example",
            "--role",
            "admin",
            "--scope",
            "system",
            stdin=PASSWORD,
        )
    )
    missing = str(uuid.uuid4())
    before = database.scenario("counts")
    for email, role, scope, stdin, stderr in [
        (
            "x@northwind.example",
            "admin",
            "provider:{missing}",
            PASSWORD,
            "--scope: No provider with id {missing}.",
        ),
        (
            "x@northwind.example",
            "admin",
            "tenant:1",
            PASSWORD,
            "--scope: Use system, provider:ID, channel:ID or customer:ID.",
        ),
        (
            "x@northwind.example",
            "boss",
            "system",
            PASSWORD,
            "--role: Use admin, operator or monitor.",
        ),
        (
            "x@northwind.example",
            "admin",
            "system",
            "password\n",
            "password: This password is too short. It must contain at least 12 characters. "
            "This password is too common.",
        ),
        (
            "x@northwind.example",
            "admin",
            "system",
            "123456789012345\n",
            "password: This password is entirely numeric.",
        ),
        (
            "x@northwind.example",
            "admin",
            "system",
            "",
            "password: give the password on standard input (one line).",
        ),
        (
            "taken@northwind.example",
            "operator",
            "system",
            PASSWORD,
            "--email: An operator with this email already exists.",
        ),
        ("not-an-email", "admin", "system", PASSWORD, "--email: Enter a valid email address."),
    ]:
        result = database.onramp(
            "operator",
            "create",
            "--email",
            email,
            "--role",
            role,
            "--scope",
            scope.format(missing=missing),
            stdin=stdin,
        )
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr == f"onramp operator create: {stderr.format(missing=missing)}\n"
    assert database.scenario("counts") == before


@pytest.fixture
def operator_email(database, provider_id) -> str:
    created_id(
        database.onramp(
            "operator",
            "create",
            "--email",
            "ops@northwind.example",
            "--role",
            "operator",
            "--scope",
            f"provider:{provider_id}",
            stdin=PASSWORD,
        )
    )
    return "ops@northwind.example"


def test_token_create_prints_the_token_once(database, operator_email):
    result = database.onramp(
        "token",
        "create",
        "--email",
        "OPS@northwind.example",
        "--name",
        "CI",
        "--expires-days",
        "30",
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert re.fullmatch(r"onr_[A-Za-z0-9_-]{43}\n", result.stdout)
    token = result.stdout.strip()
    facts = database.scenario("token", token)
    action, actor_type, changes = facts.pop("audit")
    assert facts == {"operator": operator_email, "name": "CI", "expires_in_days": 30}
    assert (action, actor_type) == ("token.created", "system")
    assert token not in changes and hashlib.sha256(token.encode()).hexdigest() not in changes

    second = database.onramp("token", "create", "--email", operator_email)
    assert second.returncode == 0 and second.stdout != result.stdout
    assert database.scenario("token", second.stdout.strip())["expires_in_days"] == 90
    third = database.onramp("token", "create", "--email", operator_email, "--no-expiry")
    assert database.scenario("token", third.stdout.strip())["expires_in_days"] is None


def test_token_create_refuses_bad_input(database, operator_email):
    before = database.scenario("counts")
    for args, stderr in [
        (
            ["--email", "nobody@northwind.example"],
            "--email: no operator has the email 'nobody@northwind.example'.",
        ),
        (
            ["--email", "ops@northwind.example", "--expires-days", "0"],
            "--expires-days: Use a number of days from 1 to 3650.",
        ),
        (
            ["--email", "ops@northwind.example", "--expires-days", "soon"],
            "Error: argument --expires-days: invalid int value: 'soon'",
        ),
        (
            ["--email", "ops@northwind.example", "--name", "n" * 101],
            "--name: Use at most 100 characters.",
        ),
    ]:
        result = database.onramp("token", "create", *args)
        assert (result.returncode, result.stdout, result.stderr) == (
            1,
            "",
            f"onramp token create: {stderr}\n",
        )
    assert database.scenario("counts") == before


def test_help_lists_every_command(database):
    result = database.onramp("help")
    assert result.returncode == 0
    for command in ("demo", "serve", "worker", "migrate", "provider", "operator", "token"):
        assert f"\n  {command} " in result.stdout
