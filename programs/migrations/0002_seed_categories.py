from django.db import migrations

# code, name, Chinese name, needs qualification, service type, needs verified org
CATEGORIES = [
    ("life-services", "Life services", "生活服务", False, True, False),
    ("public-welfare", "Public welfare", "公益", False, True, False),
    ("government", "Government affairs", "政务民生", True, True, True),
    ("e-commerce", "E-commerce", "电商", True, False, False),
    ("finance", "Finance", "金融", True, False, True),
    ("medical", "Medical", "医疗", True, False, True),
    ("live-streaming", "Live streaming", "直播", True, False, True),
    ("games", "Games", "游戏", False, False, False),
    ("tools", "Tools", "工具", False, False, False),
    ("education", "Education", "教育", False, False, False),
    ("travel", "Travel", "出行", False, True, False),
    ("food-delivery", "Food delivery", "外卖", False, True, False),
    ("social", "Social", "社交", False, False, False),
    ("entertainment", "Entertainment", "娱乐", False, False, False),
]


def seed(apps, schema_editor):
    Category = apps.get_model("programs", "Category")
    for position, (code, name, name_zh, qual, service, verified) in enumerate(CATEGORIES):
        Category.objects.get_or_create(code=code, defaults={
            "name": name, "name_zh": name_zh, "needs_qualification": qual, "service_type": service,
            "needs_verified_org": verified, "position": position,
        })


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
