from django.db import migrations

HOSTS = [
    ("alipay", "Alipay", "支付宝"),
    ("weibo", "Weibo", "微博"),
    ("taobao", "Taobao", "淘宝"),
    ("tmall", "Tmall", "天猫"),
    ("amap", "Amap", "高德地图"),
    ("uc", "UC Browser", "UC浏览器"),
    ("eleme", "Ele.me", "饿了么"),
    ("koubei", "Koubei", "口碑"),
]


def seed(apps, schema_editor):
    Host = apps.get_model("hosts", "Host")
    for position, (code, name, name_zh) in enumerate(HOSTS):
        Host.objects.get_or_create(code=code, defaults={"name": name, "name_zh": name_zh, "position": position})


class Migration(migrations.Migration):
    dependencies = [("hosts", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
