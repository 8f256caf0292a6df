"""The cutover: captured passwords, carried-over session tokens, LeanCloud's updatedAt, and the
import watermark (lc_import_users --updated-since auto)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("lc_phone", "0004_signed_in_session"),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportWatermark",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("source", models.CharField(max_length=32, unique=True, verbose_name="source")),
                ("updated_since", models.DateTimeField(verbose_name="updated since")),
                ("finished_at", models.DateTimeField(auto_now=True, verbose_name="finished at")),
            ],
            options={
                "verbose_name": "import watermark",
                "verbose_name_plural": "import watermarks",
            },
        ),
        migrations.AddField(
            model_name="phoneprofile",
            name="captured_password",
            field=models.CharField(blank=True, default="", editable=False, max_length=128),
        ),
        migrations.AddField(
            model_name="phoneprofile",
            name="lc_has_password",
            field=models.BooleanField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="phoneprofile",
            name="lc_session_token_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="phoneprofile",
            name="lc_updated_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="updated on LeanCloud"),
        ),
        migrations.AddField(
            model_name="phoneprofile",
            name="password_captured_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="phoneprofile",
            name="password_hash_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
