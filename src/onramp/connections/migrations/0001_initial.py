import django.db.models.deletion
from django.db import migrations, models


def move_content_types(apps, schema_editor):
    """Permissions and generic relations follow the models to their new app."""
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(
        app_label="services", model__in=["tenantconnection", "validationrun"]
    ).update(app_label="connections")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('health', '0001_initial'),
        ('invitations', '0006_held_credentials_delivery_from_outbox'),
        ('services', '0004_connection_moved'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    # The models were in ``services`` (0001–0003 there); their tables keep their names.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='TenantConnection',
                    fields=[
                        ('tenant_id', models.CharField(blank=True, max_length=36)),
                        ('tenant_display_name', models.CharField(blank=True, max_length=256)),
                        ('tenant_default_domain', models.CharField(blank=True, max_length=253)),
                        ('client_id', models.CharField(blank=True, max_length=64)),
                        ('secret_sealed', models.TextField(blank=True)),
                        ('secret_key_id', models.CharField(blank=True, max_length=8)),
                        ('secret_hint', models.CharField(blank=True, max_length=3)),
                        ('secret_expires_at', models.DateTimeField(blank=True, null=True)),
                        ('granted_permissions', models.JSONField(default=list)),
                        ('assigned_roles', models.JSONField(default=list)),
                        ('service', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='connection', serialize=False, to='services.service')),
                        ('method', models.CharField(choices=[('app-registration', 'App registration (client secret)'), ('app-certificate', 'App registration (certificate)'), ('created-app', 'App registration created by Onramp'), ('provider-app', "Consent to the provider's app")], default='app-registration', max_length=32)),
                        ('secret_expiry_source', models.CharField(blank=True, choices=[('microsoft', 'Microsoft'), ('operator', 'entered by an operator')], max_length=16)),
                        ('authenticated_by', models.CharField(max_length=254)),
                        ('authenticated_at', models.DateTimeField()),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        'db_table': 'services_tenantconnection',
                    },
                ),
                migrations.CreateModel(
                    name='ValidationRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('trigger', models.CharField(choices=[('wizard', 'Invitation wizard'), ('add', 'Add (operator)'), ('create', 'Service created with known credentials'), ('manual', 'Validate Authentication'), ('renewal', 'Secret renewal'), ('scheduled', 'Scheduled re-validation')], max_length=16)),
                        ('ok', models.BooleanField()),
                        ('reason', models.CharField(blank=True, max_length=32)),
                        ('message', models.TextField()),
                        ('result', models.JSONField()),
                        ('validated_at', models.DateTimeField()),
                        ('actor_label', models.CharField(blank=True, max_length=254)),
                        ('invitation', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='validation_runs', to='invitations.invitation')),
                        ('job', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='runs', to='health.validationjob')),
                        ('service', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='validation_runs', to='services.service')),
                    ],
                    options={
                        'db_table': 'services_validationrun',
                        'ordering': ['-validated_at', '-id'],
                        'indexes': [models.Index(fields=['service', '-validated_at'], name='services_va_service_ff7b1f_idx')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('job__isnull', False)), fields=('job', 'service'), name='one_run_per_service_and_job')],
                    },
                ),
            ]
        ),
        migrations.RunPython(move_content_types, migrations.RunPython.noop),
    ]
