"""Every stored check gains its ``state`` (ok / failed / not-run), so the pages read the state
and no longer guess "not run" from a message starting "Not checked"."""

from django.db import migrations

CHUNK = 500


def check_state(check):
    """The state a check had when it was stored: the validation wrote "Not checked: ..." into
    every check it never ran."""
    if check.get("ok"):
        return "ok"
    return "not-run" if str(check.get("message", "")).startswith("Not checked") else "failed"


def add_check_state(apps, schema_editor):
    """In chunks of primary keys, so a large history is never held in memory at once."""
    run_model = apps.get_model("connections", "ValidationRun")
    runs = run_model.objects.using(schema_editor.connection.alias).order_by("pk")
    last = 0
    while chunk := list(runs.filter(pk__gt=last).only("pk", "result")[:CHUNK]):
        last = chunk[-1].pk
        changed = []
        for run in chunk:
            checks = (run.result or {}).get("checks") or []
            if all("state" in check for check in checks):
                continue
            for check in checks:
                check.setdefault("state", check_state(check))
            changed.append(run)
        run_model.objects.using(schema_editor.connection.alias).bulk_update(changed, ["result"])


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(add_check_state, migrations.RunPython.noop),
    ]
