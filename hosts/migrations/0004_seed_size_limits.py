from django.db import migrations

MB = 1024 * 1024
# SPEC §4: main 2 MB and each subpackage 2 MB everywhere; total 8 MB (Alipay), 30 MB (WeChat),
# 16 MB with a 4 MB main package (Douyin). Baidu follows the Alipay figures until told otherwise.
DEFAULTS = {
    "alipay": (2 * MB, 2 * MB, 8 * MB),
    "wechat": (2 * MB, 2 * MB, 30 * MB),
    "douyin": (4 * MB, 2 * MB, 16 * MB),
    "baidu": (2 * MB, 2 * MB, 8 * MB),
}


def seed(apps, schema_editor):
    PackageSizeLimit = apps.get_model("hosts", "PackageSizeLimit")
    for dialect, (main, sub, full) in DEFAULTS.items():
        PackageSizeLimit.objects.get_or_create(
            dialect=dialect, host=None, defaults={"main_bytes": main, "subpackage_bytes": sub, "full_bytes": full}
        )


class Migration(migrations.Migration):
    dependencies = [("hosts", "0003_package_size_limits")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
