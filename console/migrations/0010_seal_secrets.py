# Secrets sealed at rest (console/sealing.py): the column is widened for the token, then each plain
# value is sealed in place; the reverse opens them again.

from django.db import migrations

import console.fields
from console.sealing import seal_column, unseal_column


class Migration(migrations.Migration):

    dependencies = [
        ('console', '0009_translatable_model_names'),
    ]

    operations = [
        migrations.AlterField(
            model_name='webhookendpoint',
            name='secret',
            field=console.fields.SealedCharField(max_length=255),
        ),
        migrations.RunPython(
            lambda apps, schema_editor: seal_column(schema_editor, "console_webhookendpoint"),
            lambda apps, schema_editor: unseal_column(schema_editor, "console_webhookendpoint"),
        ),
    ]
