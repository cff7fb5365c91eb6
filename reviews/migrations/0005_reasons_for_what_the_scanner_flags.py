"""Canned reasons for what the scanner flags: a reviewer rejecting an obfuscated SDK that calls tracking
servers had none that fitted (the nine reasons of 0002 are about features, content and accounts)."""

from django.db import migrations

# code, title, Chinese title, description, Chinese description (shown to the developer)
REASONS = [
    ("obfuscated-code", "Obfuscated code", "代码经过混淆",
     "Part of the code is obfuscated or packed so that it cannot be reviewed. Ship readable code (minified is fine) "
     "or the SDK's unobfuscated build, and name the SDK in the notes for the reviewer.",
     "部分代码经过混淆或加壳，无法审核。请提交可读的代码（压缩后的代码可以），或该 SDK 未混淆的版本，"
     "并在给审核员的备注中写明 SDK 名称。"),
    ("undisclosed-tracking", "Undisclosed tracking or advertising", "未说明的跟踪或广告",
     "The code sends user data to analytics, tracking or advertising servers that the privacy policy and the "
     "privacy declaration do not mention. Remove them or disclose them with their purpose.",
     "代码向分析、跟踪或广告服务器发送用户数据，而隐私政策和用户隐私保护指引中没有说明。请移除，或写明其用途。"),
    ("dynamic-code", "Code run from strings or downloaded", "动态执行或下载代码",
     "The program runs code it builds from strings or downloads (eval, new Function, remote scripts), so what "
     "users run is not what was reviewed. Ship all code in the package.",
     "小程序执行由字符串拼出或从网络下载的代码（eval、new Function、远程脚本），用户运行的代码与审核的不同。"
     "请把所有代码放在代码包中。"),
    ("secrets-in-package", "Secrets in the package", "代码包中含有密钥",
     "The package contains access keys or passwords that anyone can read from it. Revoke them, keep them on your "
     "server and upload a version without them.",
     "代码包中含有任何人都能读取的访问密钥或密码。请吊销这些密钥，改放在你的服务器上，并上传不含密钥的版本。"),
    ("insecure-network", "Insecure network requests", "不安全的网络请求",
     "The program talks to servers over plain HTTP or by IP address. Use HTTPS on domains listed in the program's "
     "server domains.",
     "小程序通过明文 HTTP 或 IP 地址访问服务器。请使用 HTTPS，并使用在小程序服务器域名中登记的域名。"),
]


def seed(apps, schema_editor):
    RejectionReason = apps.get_model("reviews", "RejectionReason")
    after = (RejectionReason.objects.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    for offset, (code, title, title_zh, description, description_zh) in enumerate(REASONS):
        RejectionReason.objects.get_or_create(code=code, defaults={
            "title": title, "title_zh": title_zh, "description": description, "description_zh": description_zh,
            "position": after + offset,
        })


def unseed(apps, schema_editor):
    apps.get_model("reviews", "RejectionReason").objects.filter(
        code__in=[code for code, *_ in REASONS], decisions=None).delete()


class Migration(migrations.Migration):
    dependencies = [("reviews", "0004_verbose_names")]
    operations = [migrations.RunPython(seed, unseed)]
