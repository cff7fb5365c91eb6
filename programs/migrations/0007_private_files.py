"""Packages and qualification documents move to the private storage (programs/packages.py).

Files already stored in the default storage (under MEDIA_ROOT, which DEBUG serves to anyone with the
URL) are copied to the private storage under the same name and deleted from the public one.
"""

from django.core.files.storage import storages
from django.db import migrations, models

import programs.models
import programs.packages


def _move(model, field_name):
    public, private = storages["default"], storages["private"]
    for name in model.objects.exclude(**{field_name: ""}).values_list(field_name, flat=True).iterator():
        if not public.exists(name):
            continue
        if not private.exists(name):
            with public.open(name, "rb") as source:
                stored = private.save(name, source)
            if stored != name:  # never expected: the name was free
                model.objects.filter(**{field_name: name}).update(**{field_name: stored})
        public.delete(name)


def move_to_private_storage(apps, schema_editor):
    _move(apps.get_model("programs", "Version"), "package")
    _move(apps.get_model("programs", "QualificationDocument"), "file")


class Migration(migrations.Migration):

    dependencies = [
        ("programs", "0006_name_key"),
    ]

    operations = [
        migrations.AlterField(
            model_name="qualificationdocument",
            name="file",
            field=models.FileField(storage=programs.packages.private_storage, upload_to=programs.models.qualification_path),
        ),
        migrations.AlterField(
            model_name="version",
            name="package",
            field=models.FileField(max_length=200, storage=programs.packages.private_storage, upload_to=programs.models.package_path),
        ),
        migrations.RunPython(move_to_private_storage, migrations.RunPython.noop),
    ]
