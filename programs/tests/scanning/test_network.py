"""URLs passed to network APIs: allowlists per dialect, insecure schemes, IP literals."""

from __future__ import annotations

import pytest

from programs.samples import ALLOWED_DOMAINS
from programs.scanning.domains import registrable_domain

from .helpers import APPENDED_CODE_LINE, findings_with, only, scan_built, with_code


def test_valid_packages_only_talk_to_allowed_domains():
    report = scan_built("wechat")

    assert not findings_with(report, "network.not_allowed")
    assert report.domains == ["api.example.com", "ws.example.com"]


def test_http_request_is_insecure_with_its_position():
    report = scan_built("alipay", **with_code("my.request({ url: 'http://api.example.com/x' });"))

    finding = only(report, "network.insecure")
    assert (finding.file, finding.line, finding.column) == ("app.js", APPENDED_CODE_LINE, 1)


def test_ws_socket_is_insecure():
    assert "network.insecure" in scan_built("wechat", **with_code("wx.connectSocket({ url: 'ws://ws.example.com' });")).codes()


@pytest.mark.parametrize("host", ["10.0.0.8", "[::1]:8080", "localhost:3000", "127.0.0.1"])
def test_ip_literals_and_localhost_are_errors(host):
    report = scan_built("alipay", **with_code(f"my.request({{ url: 'https://{host}/api' }});"))

    assert "network.ip_literal" in report.codes()


def test_unlisted_domain_is_not_allowed():
    report = scan_built("wechat", **with_code("wx.request({ url: 'https://evil.test/collect' });"))

    assert "evil.test" in only(report, "network.not_allowed").message


def test_allowlist_is_per_kind():
    report = scan_built("wechat", **with_code("wx.uploadFile({ url: 'https://ws.example.com/up' });"))

    assert "upload" in only(report, "network.not_allowed").message


def test_wechat_matches_the_exact_host():
    report = scan_built("wechat", **with_code("wx.request({ url: 'https://cdn.api.example.com/x' });"))

    assert "network.not_allowed" in report.codes()


def test_wechat_port_must_match_exactly():
    code = "wx.request({ url: 'https://api.example.com:443/x' });"
    assert "network.not_allowed" in scan_built("wechat", **with_code(code)).codes()

    allowed = {**ALLOWED_DOMAINS, "request": ["api.example.com", "https://api.example.com:8443"]}
    code = "wx.request({ url: 'https://api.example.com:8443/x' });"
    assert "network.not_allowed" not in scan_built("wechat", config={"allowed_domains": allowed}, **with_code(code)).codes()


def test_alipay_matches_the_registrable_domain():
    report = scan_built("alipay", **with_code("my.request({ url: 'https://cdn.api.example.com/x' });"))

    assert "network.not_allowed" not in report.codes()


def test_alipay_registrable_domain_knows_two_level_suffixes():
    allowed = {**ALLOWED_DOMAINS, "request": ["api.example.com", "api.shop.com.cn"]}
    code = "my.request({ url: 'https://pay.shop.com.cn/x' });\nmy.request({ url: 'https://other.com.cn/x' });"

    report = scan_built("alipay", config={"allowed_domains": allowed}, **with_code(code))

    assert "other.com.cn" in only(report, "network.not_allowed").message


@pytest.mark.parametrize(("host", "domain"), [
    ("api.example.com", "example.com"), ("a.b.example.com.cn", "example.com.cn"), ("x.co.uk", "x.co.uk"),
    ("me.github.io", "me.github.io"), ("example.com", "example.com"), ("WWW.Example.COM.", "example.com"),
])
def test_registrable_domain(host, domain):
    assert registrable_domain(host) == domain


def test_url_built_from_a_constant_in_another_file_is_resolved():
    files = {"config.js": "export const SERVER = 'https://evil.test';\n",
             "pages/index/index.js": "Page({ onLoad() { wx.request({ url: `${SERVER}/v1/x` }); } });"}

    finding = only(scan_built("wechat", files=files), "network.not_allowed")

    assert finding.file == "pages/index/index.js"


def test_url_built_by_concatenation_is_resolved():
    code = "const base = 'http://api.example.com';\nmy.request({ url: base + '/orders' });"

    assert "network.insecure" in scan_built("alipay", **with_code(code)).codes()


def test_object_property_constant_is_resolved():
    code = "const config = { api: 'https://evil.test' };\nwx.downloadFile({ url: config.api + '/file' });"

    assert "network.not_allowed" in scan_built("wechat", **with_code(code)).codes()


def test_url_whose_host_is_computed_is_not_guessed():
    code = "wx.request({ url: `https://${region}.example.com/x` });\nwx.request({ url: getUrl() });"

    assert not findings_with(scan_built("wechat", **with_code(code)), "network.not_allowed")


def test_calls_in_comments_and_strings_are_ignored():
    code = "// wx.request({ url: 'http://old.test' })\nconst doc = \"wx.request({ url: 'http://old.test' })\";"

    report = scan_built("wechat", **with_code(code))

    assert not findings_with(report, "network.insecure")


def test_other_dialects_api_object_is_ignored():
    assert "network.insecure" not in scan_built("wechat", **with_code("my.request({ url: 'http://x.test' });")).codes()


def test_without_an_allowlist_only_schemes_and_hosts_are_checked():
    code = "wx.request({ url: 'https://anything.test/x' });\nwx.request({ url: 'http://plain.test/x' });"

    report = scan_built("wechat", config={"allowed_domains": None}, **with_code(code))

    assert not findings_with(report, "network.not_allowed")
    assert findings_with(report, "network.insecure")


def test_relative_url_is_a_warning():
    report = scan_built("wechat", **with_code("wx.request({ url: '/api/orders' });"))

    assert only(report, "network.invalid_url").severity.value == "warning"


def test_domains_lists_hosts_of_url_literals_but_not_comments():
    code = ("// see https://github.com/example/docs\nconst cdn = 'https://img.example.net/a.png';\n"
            "const ns = 'http://www.w3.org/2000/svg';")

    domains = scan_built("wechat", **with_code(code)).domains

    assert "img.example.net" in domains
    assert "github.com" not in domains
    assert "www.w3.org" not in domains


def test_many_domains_raise_the_risk_score():
    code = "\n".join(f"const u{i} = 'https://s{i}.example{i}.com/x';" for i in range(8))

    report = scan_built("wechat", **with_code(code))

    item = next(item for item in report.risk.breakdown if item.code == "signal.many_domains")
    assert item.weight == 2 * (len(report.domains) - 3)
