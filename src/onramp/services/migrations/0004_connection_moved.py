from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('services', '0003_list_indexes'),
    ]

    # The tenant connection and validation runs moved to the ``connections`` app; their tables
    # keep their names, so only Django's idea of the models changes here.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='validationrun',
                    name='invitation',
                ),
                migrations.RemoveField(
                    model_name='validationrun',
                    name='job',
                ),
                migrations.RemoveField(
                    model_name='validationrun',
                    name='service',
                ),
                migrations.DeleteModel(
                    name='TenantConnection',
                ),
                migrations.DeleteModel(
                    name='ValidationRun',
                ),
            ]
        )
    ]
