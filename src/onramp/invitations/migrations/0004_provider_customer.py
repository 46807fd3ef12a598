"""Invitations carry their service's provider and customer (filled here for existing rows)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_from_service(apps, schema_editor):
    Invitation = apps.get_model("invitations", "Invitation")
    Service = apps.get_model("services", "Service")
    service = Service.objects.filter(pk=OuterRef("service_id"))
    Invitation.objects.update(
        provider_id=Subquery(service.values("provider_id")),
        customer_id=Subquery(service.values("customer_id")),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("invitations", "0003_list_indexes"),
        ("services", "0003_list_indexes"),
        ("tenancy", "0002_list_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="customer",
            field=models.ForeignKey(
                null=True,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tenancy.customer",
            ),
        ),
        migrations.AddField(
            model_name="invitation",
            name="provider",
            field=models.ForeignKey(
                null=True,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tenancy.provider",
            ),
        ),
        migrations.RunPython(copy_from_service, migrations.RunPython.noop),
    ]
