"""Finding messages and risk reasons in Simplified Chinese, rendered from a finding's code and params.

Checks write an English `message` and the `params` it was built from; reports store both, so a
stored report can be shown in either language. `render_message` picks the Chinese template of the
code when the reader's language is Chinese; a template names only params every call site of its code
passes, and a report stored before params existed falls back to the code's Chinese title.
"""

from __future__ import annotations

import re

from .codes import FINDING_CODES
from .personal_info import PERSONAL_INFO_KINDS

# Risk reasons: one template per finding code ("出现 N 次") and per capability signal.
SIGNAL_REASONS_ZH = {
    "signal.location": "使用或声明了位置接口。",
    "signal.phone_number": "获取用户手机号。",
    "signal.camera_or_microphone": "使用摄像头或录音。",
    "signal.many_domains": "代码访问 {domains} 个服务器域名。",
    "signal.near_size_limit": "代码包大小 {size} 字节，接近 {limit} 字节的上限。",
}

_EFFECTS_ZH = {"stretched": "拉伸变形", "blurred": "放大而模糊"}


def is_chinese(language: str | None) -> bool:
    return bool(language) and language.lower().startswith("zh")


def render_message(finding: dict, language: str | None) -> str:
    """The finding's message in `language` (English unless it is Chinese)."""
    message = finding.get("message") or ""
    if not is_chinese(language):
        return message
    entry = FINDING_CODES.get(finding.get("code") or "")
    if entry is None:
        return message
    try:
        params = _with_labels(finding.get("params") or {})
        if finding.get("code", "").startswith("size."):
            params = _with_size_labels(params)
        return entry.message_zh.format(**params)
    except (KeyError, IndexError, ValueError):
        return f"{entry.title_zh}：{message}"  # a report stored before this code had params


def render_reason(item: dict, language: str | None) -> str:
    """A risk-breakdown item's reason in `language`."""
    reason = item.get("reason") or ""
    if not is_chinese(language):
        return reason
    code, params = item.get("code") or "", item.get("params") or {}
    if code in SIGNAL_REASONS_ZH:
        try:
            return SIGNAL_REASONS_ZH[code].format(**params)
        except (KeyError, IndexError, ValueError):
            return reason
    entry = FINDING_CODES.get(code)
    if entry is None:
        return reason
    title, count = entry.title_zh, params.get("count")
    return f"{title}（{count} 处）" if count and str(count) != "1" else title


def localized_finding(finding: dict, language: str | None) -> dict:
    """A copy of a stored finding whose `message` is in `language`."""
    return {**finding, "message": render_message(finding, language)}


def localized_breakdown(item: dict, language: str | None) -> dict:
    return {**item, "reason": render_reason(item, language)}


def _with_labels(params: dict) -> dict:
    values = dict(params)
    kind = PERSONAL_INFO_KINDS.get(values.get("kind", ""))
    if kind is not None:
        values["kind_label"] = kind.label_zh
    if "effect" in values:
        values["effect"] = _EFFECTS_ZH.get(values["effect"], values["effect"])
    if isinstance(values.get("key"), str):  # a redacted secret: "AKIAIOSF… (20 characters)"
        values["key"] = _REDACTED_KEY.sub(r"\g<shown>（共 \g<n> 个字符）", values["key"])
    return values


def _with_size_labels(params: dict) -> dict:
    """A size finding's byte counts and host in Chinese (`host` of other codes is a server's name)."""
    values = dict(params)
    for name in ("size", "limit", "shrinkable"):  # "6.00 MB (6,288,085 bytes)"
        if isinstance(values.get(name), str):
            values[name] = _BYTES.sub(r"（\g<n> 字节）", values[name])
    if isinstance(values.get("host"), str):  # a host or dialect code, or "this host"
        values["host"] = _host_name_zh(values["host"])
    return values


_BYTES = re.compile(r" \((?P<n>[\d,]+) bytes\)")


def _host_name_zh(code: str) -> str:
    """支付宝 for `alipay`: the host's Chinese name, else the dialect's; stored findings keep the code."""
    if code == "this host":
        return "该宿主"
    from django.utils import translation

    from hosts.models import Dialect
    from hosts.selectors import host_names_of

    with translation.override("zh-hans"):
        named = host_names_of({code}).get(code)  # the catalog's names, read once a minute
        if named is None and code in Dialect.values:
            named = str(Dialect(code).label)
    return named or code


_REDACTED_KEY = re.compile(r"^(?P<shown>.*…) \((?P<n>\d+) characters\)$")
