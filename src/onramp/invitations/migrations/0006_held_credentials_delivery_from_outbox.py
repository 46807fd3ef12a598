from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('invitations', '0005_list_indexes_by_provider'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='invitation',
            name='email_last_error',
        ),
        migrations.RemoveField(
            model_name='invitation',
            name='email_send_count',
        ),
        migrations.RemoveField(
            model_name='invitation',
            name='email_sent',
        ),
        migrations.AlterField(
            model_name='invitation',
            name='authenticated_method',
            field=models.CharField(blank=True, choices=[('app-registration', 'App registration (client secret)'), ('app-certificate', 'App registration (certificate)'), ('created-app', 'App registration created by Onramp'), ('provider-app', "Consent to the provider's app")], max_length=32),
        ),
        migrations.AddField(
            model_name='invitation',
            name='secret_expiry_source',
            field=models.CharField(blank=True, choices=[('microsoft', 'Microsoft'), ('operator', 'entered by an operator')], max_length=16),
        ),
    ]
