from django.db import migrations

# code, title, Chinese title, description shown to the developer
REASONS = [
    ("incomplete-functionality", "Incomplete functionality", "功能不完整",
     "Some pages or features are unfinished, empty or only placeholders. Submit a version whose features all work."),
    ("misleading-description", "Misleading description", "描述与功能不符",
     "The name, slogan, description or screenshots promise something the mini-program does not do."),
    ("privacy-policy-missing", "Privacy policy missing", "缺少隐私政策",
     "The program collects personal information but has no reachable privacy policy. Add its URL to the program."),
    ("undeclared-data-collection", "Undeclared data collection", "未声明收集用户信息",
     "The code uses private APIs (location, phone number, camera …) that are not declared with a purpose."),
    ("prohibited-content", "Prohibited content", "违规内容",
     "The program contains content that the platform rules do not allow (gambling, adult content, fraud …)."),
    ("unstable", "Unstable or crashes", "运行不稳定或崩溃",
     "The program crashed, froze or showed blank pages during the review."),
    ("test-account-missing", "Test account missing or not working", "缺少测试账号",
     "The reviewer could not get past the login. Give a working test account with the submission."),
    ("category-mismatch", "Category does not match the service", "类目与服务不符",
     "The categories chosen do not match what the program offers, or need a qualification document."),
    ("unreachable-service", "Server or domain unreachable", "服务器无法访问",
     "Requests to the program's servers failed during the review; check the domains and certificates."),
]


def seed(apps, schema_editor):
    RejectionReason = apps.get_model("reviews", "RejectionReason")
    for position, (code, title, title_zh, description) in enumerate(REASONS):
        RejectionReason.objects.get_or_create(code=code, defaults={
            "title": title, "title_zh": title_zh, "description": description, "position": position,
        })


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
