"""Audit events written before invitations had a name read "Invitation object (<id>)": name
them by the service's short name, as new events are. An invitation deleted since (with its
service) is named through its ``invitation.created`` event, which holds the service's id, and
that service's own events."""

from django.db import migrations

UNNAMED = "Invitation object ("


def label_invitation_targets(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    Invitation = apps.get_model("invitations", "Invitation")
    events = AuditEvent._base_manager.filter(  # audit rows are append-only for the application
        target_type="invitation", target_label__startswith=UNNAMED
    )
    unnamed = set(events.values_list("target_id", flat=True))
    if not unnamed:
        return
    names = dict(
        Invitation.objects.filter(pk__in=unnamed).values_list("pk", "service__short_name")
    )
    names = {str(pk): name for pk, name in names.items()}
    services = {
        event.target_id: str(event.changes.get("new", {}).get("service", ""))
        for event in AuditEvent._base_manager.filter(
            target_type="invitation", action="invitation.created", target_id__in=unnamed - set(names)
        ).only("target_id", "changes")
    }
    service_names = dict(
        AuditEvent._base_manager.filter(target_type="service", target_id__in=set(services.values()))
        .exclude(target_label="")
        .values_list("target_id", "target_label")
    )
    for invitation_id, service_id in services.items():
        if service_id in service_names:
            names[invitation_id] = service_names[service_id]
    for invitation_id, name in names.items():
        events.filter(target_id=invitation_id).update(target_label=name[:254])


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_list_index_by_provider"),
        ("invitations", "0007_held_certificate"),
    ]

    operations = [migrations.RunPython(label_invitation_targets, migrations.RunPython.noop)]
