"""Names unique across look-alikes: MiniProgram.name_key (TR39 skeleton, case-folded), computed for
existing programs, then unique among live programs.

Live programs whose names already look alike keep running: the oldest keeps the plain key, the others
get `<key>#<pk>` so that the constraint holds; their next save recomputes the key, so they must be
renamed before anything else about them can be edited.
"""

from django.db import migrations, models


def compute_name_keys(apps, schema_editor):
    from programs.names import name_key

    MiniProgram = apps.get_model("programs", "MiniProgram")
    taken = set()
    for program in MiniProgram.objects.order_by("created_at", "pk").only("pk", "name", "deleted_at"):
        key = name_key(program.name)
        if program.deleted_at is None:
            if key in taken:
                key = f"{key}#{program.pk}"
            taken.add(key)
        MiniProgram.objects.filter(pk=program.pk).update(name_key=key)


class Migration(migrations.Migration):

    dependencies = [
        ("programs", "0005_withdrawal_survives_pruning"),
    ]

    operations = [
        migrations.AddField(
            model_name="miniprogram",
            name="name_key",
            field=models.CharField(default="", editable=False, help_text="The name's TR39 confusable skeleton, case-folded (programs.names.name_key): unique among live programs.", max_length=255),
        ),
        migrations.RunPython(compute_name_keys, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="miniprogram",
            constraint=models.UniqueConstraint(condition=models.Q(("deleted_at", None)), fields=("name_key",), name="unique_live_program_name_key"),
        ),
    ]
