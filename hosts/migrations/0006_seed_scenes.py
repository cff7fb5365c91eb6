"""Seed the distribution scenes of SPEC §1 with their default rules (admins edit them afterwards)."""

from django.db import migrations

PUBLIC_SERVICE = ["public-welfare", "government", "life-services"]

# code, name, Chinese name, description, Chinese description, rule
SCENES = [
    ("weibo.private_message", "Private messages", "私信",
     "Share a mini-program card into a private or group message.", "在私信或群聊中分享小程序卡片。", {}),
    ("weibo.profile", "Profile page", "个人主页",
     "A card on the profile page of named (verified, high-follower) Weibo accounts.",
     "在指定的（认证、高粉丝）微博账号主页展示卡片。",
     {"needs_whitelist": True, "placement_kind": "account", "max_grant_days": 90}),
    ("weibo.feed", "Home feed", "首页信息流",
     "A card in the home feed, Weibo's core traffic. Service-type categories only at first.",
     "在首页信息流中展示卡片，微博的核心流量。初期仅限服务类目。",
     {"needs_whitelist": True, "service_types_only": True, "share_cap": 1, "share_window_seconds": 3600,
      "max_grant_days": 30, "evidence_required": True}),
    ("weibo.hot_search", "Hot search", "热搜",
     "Linked from a hot-search topic, with a time window and a landing page.",
     "从热搜话题链接到小程序，含时间窗口和落地页。",
     {"needs_whitelist": True, "placement_kind": "topic", "max_grant_days": 14}),
    ("weibo.lottery", "Lottery", "抽奖",
     "Used as the prize or claim step of a Weibo lottery campaign.", "作为微博抽奖活动的领奖步骤。",
     {"needs_whitelist": True, "placement_kind": "lottery", "max_grant_days": 30}),
    ("alipay.life_account", "Life account", "生活号",
     "The program's life account (生活号) page.", "小程序的生活号主页。", {}),
    ("alipay.city_service", "City services", "城市服务",
     "The city services / citizen centre entry. Public-service categories only.",
     "城市服务 / 市民中心入口。仅限公共服务类目。",
     {"needs_whitelist": True, "allowed_categories": PUBLIC_SERVICE, "needs_verified_org": True,
      "evidence_required": True, "max_grant_days": 365}),
    ("alipay.hot_search", "Hot topics", "热门话题",
     "Weibo hot topics surfaced inside Alipay, linked to a program.", "支付宝内展示的微博热门话题，链接到小程序。",
     {"needs_whitelist": True, "placement_kind": "topic", "max_grant_days": 14}),
]
ORDINARY_HOSTS = ["taobao", "tmall", "amap", "uc", "eleme", "koubei"]
ORDINARY = [
    ("share", "Share", "分享", "Ordinary share entry.", "普通分享入口。"),
    ("search", "Search", "搜索", "Found through the host's search.", "通过宿主的搜索找到。"),
]


def seed(apps, schema_editor):
    Host = apps.get_model("hosts", "Host")
    Scene = apps.get_model("hosts", "Scene")
    hosts = {h.code: h for h in Host.objects.all()}
    rows = list(SCENES)
    for host_code in ORDINARY_HOSTS:
        rows += [(f"{host_code}.{code}", *texts, {}) for code, *texts in ORDINARY]
    for position, (code, name, name_zh, description, description_zh, rule) in enumerate(rows):
        host = hosts.get(code.split(".")[0])
        if host is None:
            continue
        Scene.objects.get_or_create(code=code, defaults={
            "host": host, "name": name, "name_zh": name_zh, "description": description,
            "description_zh": description_zh, "position": position, **rule,
        })


class Migration(migrations.Migration):
    dependencies = [("hosts", "0005_scenes")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
