"""Seed the canned reasons operators pick when rejecting a whitelist request or revoking a grant."""

from django.db import migrations

# code, title, Chinese title, description, Chinese description
REASONS = [
    ("justification-insufficient", "Justification insufficient", "申请理由不充分",
     "The justification does not explain what the program offers in this scene or who it serves.",
     "申请理由未说明小程序在该场景中提供什么服务、面向哪些用户。"),
    ("evidence-missing", "Evidence missing or unreadable", "证明材料缺失或无法识别",
     "The evidence files are missing, unreadable or do not show what the scene asks for.",
     "证明材料缺失、无法打开，或未能证明该场景要求的内容。"),
    ("category-not-suited", "Category not suited to this scene", "类目不适合该场景",
     "What the program offers does not fit this scene at the moment.", "小程序提供的服务目前不适合该场景。"),
    ("experience-quality", "Experience quality too low", "体验质量不达标",
     "Opening the program from this scene gives a poor first experience (slow, empty or confusing pages).",
     "从该场景打开小程序的首次体验较差（加载慢、页面空白或令人困惑）。"),
    ("placement-not-authorised", "Accounts or campaigns not authorised", "账号或活动未获授权",
     "The Weibo accounts, topics or campaigns named have not authorised this program.",
     "所指定的微博账号、话题或活动未授权该小程序。"),
    ("scene-rules", "Breaks the scene's rules", "违反场景规则",
     "The program or its sharing breaks the rules of this scene.", "小程序或其分享方式违反了该场景的规则。"),
    ("user-complaints", "User complaints", "用户投诉",
     "Users of the host complained about the program in this scene.", "宿主用户对该场景中的小程序进行了投诉。"),
    ("abusive-sharing", "Abusive sharing", "滥用分享",
     "The program pushes users to share (rewards for shares, misleading cards …).",
     "小程序诱导用户分享（分享奖励、误导性卡片等）。"),
]


def seed(apps, schema_editor):
    Reason = apps.get_model("distribution", "DistributionRejectionReason")
    for position, (code, title, title_zh, description, description_zh) in enumerate(REASONS):
        Reason.objects.get_or_create(code=code, defaults={
            "title": title, "title_zh": title_zh, "description": description, "description_zh": description_zh,
            "position": position,
        })


class Migration(migrations.Migration):
    dependencies = [("distribution", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
