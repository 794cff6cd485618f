from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="town",
            name="finance_phone_encrypted",
            field=models.TextField(blank=True),
        ),
    ]
