"""eval and friends, dynamic/remote loading, minified and obfuscated code, leaked secrets."""

from __future__ import annotations

import random
import time

import pytest

from programs.samples import ALLOWED_DOMAINS, ORG_KEY_PREFIX, package_files, zip_files
from programs.scanning import ScanConfig, scan_package
from programs.scanning.jssource import CODE, COMMENT, STRING, Script

from .helpers import APPENDED_CODE_LINE, findings_with, only, scan_built, with_code


def test_eval_is_an_error_with_its_position():
    finding = only(scan_built("alipay", **with_code("const x = eval(input);")), "code.eval")

    assert (finding.file, finding.line, finding.column) == ("app.js", APPENDED_CODE_LINE, 11)


def test_columns_count_characters_not_bytes():
    finding = only(scan_built("alipay", **with_code("const tip = '请稍候'; eval(x);")), "code.eval")

    assert finding.column == len("const tip = '请稍候'; ") + 1


def test_identifiers_in_any_script_are_not_split():
    assert "code.eval" not in scan_built("alipay", **with_code("const 计算eval = 1; 计算eval(2);")).codes()


@pytest.mark.parametrize("code", ["window.eval(s);", "globalThis.eval (s);", "setTimeout('run()', 10);",
                                  "setInterval(`tick()`, 10);", "const a = 1;\u3000eval(s);"])
def test_eval_variants_are_errors(code):
    assert "code.eval" in scan_built("alipay", **with_code(code)).codes()


@pytest.mark.parametrize("code", [
    "// eval(x) would be wrong here", "/* eval(x) */", "const s = 'eval(x)';", "const t = `eval(x)`;",
    "math.eval(expression);", "myeval(x);", "setTimeout(() => run(), 10);", "const re = /eval\\(/g;",
])
def test_eval_lookalikes_are_not_flagged(code):
    assert "code.eval" not in scan_built("alipay", **with_code(code)).codes()


def test_new_function_is_an_error():
    assert "code.new_function" in scan_built("alipay", **with_code("const f = new Function('a', 'b');")).codes()


def test_function_lookalikes_are_not_flagged():
    code = "function myFunction() {}\nmyFunction();\nconst isFn = x instanceof Function;"

    assert "code.new_function" not in scan_built("alipay", **with_code(code)).codes()


def test_computed_require_is_a_dynamic_load_warning():
    finding = only(scan_built("alipay", **with_code("const m = require(name);")), "code.dynamic_load")

    assert finding.severity.value == "warning"


@pytest.mark.parametrize("code", ["require('./a.js');", 'require("../b");', "require(`./c`);",
                                  "function require(name) { return cache[name]; }", "obj.require(x);"])
def test_static_require_and_lookalikes_are_fine(code):
    assert "code.dynamic_load" not in scan_built("alipay", **with_code(code)).codes()


@pytest.mark.parametrize("code", ["require('https://cdn.test/lib.js');", "import('//cdn.test/x.js');",
                                  "importScripts('https://cdn.test/w.js');",
                                  "my.loadSubpackage({ name: 'a', url: 'https://cdn.test/pkg' });"])
def test_remote_code_is_an_error(code):
    assert "code.remote_code" in scan_built("alipay", **with_code(code)).codes()


def test_loading_a_named_subpackage_is_fine():
    report = scan_built("wechat", **with_code("wx.loadSubpackage({ name: 'packageA', success() {} });"))

    assert not findings_with(report, "code.remote_code")


def _minified(size: int = 6000) -> str:
    rng = random.Random(7)
    return ";".join(f"var a{i}=function(b,c){{return b+c*{rng.randrange(99)}}}" for i in range(size // 40))


def test_minified_file_without_source_map_is_a_warning():
    report = scan_built("alipay", files={"lib/vendor.js": _minified()})

    assert only(report, "code.minified").file == "lib/vendor.js"


def test_minified_file_with_source_map_is_fine():
    files = {"lib/vendor.js": _minified(), "lib/vendor.js.map": '{"version":3}'}

    assert "code.minified" not in scan_built("alipay", files=files).codes()


def test_minified_file_with_inline_source_map_is_fine():
    files = {"lib/vendor.js": _minified() + "\n//# sourceMappingURL=data:application/json;base64,e30="}

    assert "code.minified" not in scan_built("alipay", files=files).codes()


def test_obfuscated_file_is_a_warning():
    code = ";".join(f"var _0x{i:04x}=_0x{i + 1:04x}['\\x70\\x75\\x73\\x68']" for i in range(200))

    assert "code.obfuscated" in scan_built("alipay", files={"lib/x.js": code}).codes()


def test_readable_code_is_neither_minified_nor_obfuscated():
    report = scan_built("alipay")

    assert not {"code.minified", "code.obfuscated"} & report.codes()


def test_private_key_is_an_error():
    pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"

    assert only(scan_built("alipay", files={"certs/deploy": pem, "certs/deploy.txt": pem}),
                "secret.private_key").file == "certs/deploy.txt"


CLOUD_KEYS = [
    ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS"),
    ("LTAI5tQ7xYz9AbCdEfGh1234", "Gx4Zh7yEJlGkV9Kq8wR7Ho2bYYwY9D", "Alibaba"),
    ("AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "Tencent"),
]


@pytest.mark.parametrize(("key", "secret", "provider"), CLOUD_KEYS)
def test_cloud_key_with_its_secret_is_an_error_and_redacted(key, secret, provider):
    code = f"// backup\nconst id = '{key}';\nconst secret = '{secret}';"

    finding = only(scan_built("alipay", **with_code(code)), "secret.cloud_key")

    assert provider in finding.message
    assert key not in finding.message and secret not in finding.message
    assert key[:8] in finding.message


@pytest.mark.parametrize(("key", "secret", "provider"), CLOUD_KEYS)
def test_cloud_key_id_alone_is_a_notice_saying_it_is_no_credential(key, secret, provider):
    report = scan_built("alipay", **with_code(f"// backup: {key}"))

    assert "secret.cloud_key" not in report.codes()
    finding = only(report, "secret.cloud_key_id")
    assert finding.severity.value == "notice"
    assert "not a credential" in finding.message


def test_access_key_id_in_a_presigned_oss_url_is_not_a_leaked_secret():
    url = ("https://bucket.oss-cn-hangzhou.aliyuncs.com/banner.png?OSSAccessKeyId=LTAI5tQ7xYz9AbCdEfGh1234"
           "&Expires=1893456000&Signature=vLnKz0mO%2BxQ4c8H1tYp6Wd3eRf0%3D")

    report = scan_built("alipay", **with_code(f"const banner = '{url}';"))

    assert "secret.cloud_key" not in report.codes()
    assert report.errors == 0
    assert only(report, "secret.cloud_key_id").line is not None


def test_hex_digest_near_a_key_id_is_not_taken_for_its_secret():
    code = "const id = 'LTAI5tQ7xYz9AbCdEfGh1234'; // build 0123456789abcdef0123456789abcd"

    assert "secret.cloud_key" not in scan_built("alipay", **with_code(code)).codes()


def test_cloud_key_lookalikes_inside_longer_tokens_are_ignored():
    assert "secret.cloud_key" not in scan_built("alipay", **with_code("const id = 'XAKIAIOSFODNN7EXAMPLEX';")).codes()


def test_org_api_key_is_an_error_telling_to_revoke_it():
    code = f"const KEY = '{ORG_KEY_PREFIX}Zt8kq2LmN0pQ';"

    finding = only(scan_built("alipay", config={"org_key_prefixes": [ORG_KEY_PREFIX]}, **with_code(code)),
                   "secret.org_api_key")

    assert "revoke" in finding.message
    assert "Zt8kq2LmN0pQ" not in finding.message


def test_org_key_prefix_of_another_org_is_not_flagged():
    code = f"const KEY = '{ORG_KEY_PREFIX}Zt8kq2LmN0pQ';"

    report = scan_built("alipay", config={"org_key_prefixes": ["mpk_000000000000_"]}, **with_code(code))

    assert "secret.org_api_key" not in report.codes()


def test_secrets_in_json_files_are_found_too():
    report = scan_built("alipay", files={"config/oss.json": (
        '{"accessKeyId": "LTAI5tQ7xYz9AbCdEfGh1234", "accessKeySecret": "Gx4Zh7yEJlGkV9Kq8wR7Ho2bYYwY9D"}')})

    assert only(report, "secret.cloud_key").file == "config/oss.json"


@pytest.mark.parametrize(("source", "needle", "context"), [
    ("a = 1; // eval(x)", "eval", COMMENT),
    ("a = 'eval(x)';", "eval", STRING),
    ("/* multi\n line eval(x) */ go();", "eval", COMMENT),
    ("const glob = 'src/**/*.js'; eval(x); /* c */", "eval", CODE),
    ("const u = 'http://x'; eval(y)", "eval", CODE),
    ("x = a / b; y = c / d; eval(z)", "eval", CODE),
    ("if (/'/.test(s)) eval(z)", "eval", CODE),
])
def test_context_tells_code_from_strings_and_comments(source, needle, context):
    assert Script("a.js", source).context(source.index(needle)) == context


def test_one_line_bundle_with_thousands_of_candidates_stays_linear():
    calls = "".join(f"my.request({{url:'https://h{i}.test/'+a}});eval(a{i});var s{i}='/*';" for i in range(20_000))
    started = time.perf_counter()

    report = scan_built("alipay", files={"lib/bundle.js": "var a='x';" + calls})

    assert {"code.eval", "network.not_allowed", "code.minified"} <= report.codes()
    assert time.perf_counter() - started < 10  # quadratic behaviour would take minutes


def test_context_answers_do_not_depend_on_the_order_of_questions():
    source = "go();\n/* first */ eval(a);\n/*second\n eval(b) */\neval(c); /* third */"
    offsets = [match for match in range(len(source)) if source.startswith(("eval", "/*"), match)]
    forward = {offset: Script("a.js", source).context(offset) for offset in offsets}
    script = Script("a.js", source)
    backward = {offset: script.context(offset) for offset in reversed(offsets)}

    assert forward == backward
    assert [forward[offset] for offset in offsets] == [COMMENT, CODE, COMMENT, COMMENT, CODE, COMMENT]


def test_long_lined_numeric_array_is_data_not_minified_code():
    # The WeChat demo's XR-frame geometry files: one line of vertex floats, no source map needed.
    vertices = ", ".join(f"{index * 0.0123456789:.12f}" for index in range(2000))
    files = {"assets/geometry.js": f"const vertices = new Float32Array([{vertices}]);\n"}

    assert "code.minified" not in scan_built("alipay", files=files).codes()


def test_the_wechat_npm_build_shim_is_not_dynamic_loading():
    # Every miniprogram_npm/<package>/index.js the WeChat IDE builds starts with this loader.
    shim = ("var __REQUIRE__ = function(modId, source) { if(!__MODS__[modId]) return require(source); "
            "return __MODS__[modId].m.exports; };")

    assert "code.dynamic_load" not in scan_built("wechat", files={"miniprogram_npm/dayjs/index.js": shim}).codes()
    assert "code.dynamic_load" in scan_built("wechat", **with_code("const m = require(name);")).codes()


def test_secrets_and_risky_calls_outside_the_shipped_files_are_not_reported():
    # Searched while the archive is read (before the root is known), then kept only for shipped files.
    secret = "const id = 'LTAI5tQ7xYz9AbCdEfGh1234', key = 'Gx4Zh7yEJlGkV9Kq8wR7Ho2bYYwY9D'; eval(x);"
    files = package_files("wechat", root="miniprogram/")
    for name in ("cloudfunctions/login/index.js", "miniprogram/node_modules/x/index.js", "miniprogram/utils/keys.js"):
        files[name] = secret.encode()

    report = scan_package(zip_files(files), ScanConfig(allowed_domains=ALLOWED_DOMAINS))

    assert {f.file for f in report.findings if f.code in ("secret.cloud_key", "code.eval")} == {
        "miniprogram/utils/keys.js"}


# A lone CR, U+2028 and U+2029 end a `//` comment in JavaScript, so the code after them runs. The code
# viewer starts a new line at a lone CR (as at CRLF) but not at U+2028/U+2029, and findings follow it.
@pytest.mark.parametrize(("separator", "lines_down", "column"), [
    ("\r", 1, 1), ("\r\n", 1, 1), ("\u2028", 0, len("// note\u2028") + 1), ("\u2029", 0, len("// note\u2029") + 1),
])
def test_code_after_a_line_terminator_ending_a_comment_is_code(separator, lines_down, column):
    finding = only(scan_built("alipay", **with_code(f"// note{separator}eval('a');")), "code.eval")

    assert (finding.line, finding.column) == (APPENDED_CODE_LINE + lines_down, column)


def test_lines_after_lone_carriage_returns_are_counted_as_the_code_viewer_shows_them():
    finding = only(scan_built("alipay", **with_code("go();\rstop();\r\n  eval(x);")), "code.eval")

    assert (finding.line, finding.column) == (APPENDED_CODE_LINE + 2, 3)


@pytest.mark.parametrize("separator", ["\r", "\u2028", "\u2029"])
def test_a_comment_ends_at_any_javascript_line_terminator(separator):
    source = f"a(); // eval(x){separator}eval(y)"

    assert Script("a.js", source).context(source.index("eval(x)")) == COMMENT
    assert Script("a.js", source).context(source.index("eval(y)")) == CODE


@pytest.mark.parametrize("code", [
    "const s = `${eval('f')}`;", "const s = `a${ b ? `c${eval('f')}` : '}' }d`;", "const s = `${'}'}${eval(x)}`;",
    "(0, eval)('i');", "eval.call(null, 'h');", "eval.apply(null, ['h']);", "const run = eval.bind(null);",
    "const run = window.eval;", "g['ev' + 'al']('1+1');", "window[\"eval\"](s);", "g['\\x65v' + `al`](s);",
])
def test_indirect_eval_forms_are_errors(code):
    assert "code.eval" in scan_built("alipay", **with_code(code)).codes()


@pytest.mark.parametrize("code", [
    "const F = Function; F('return 1');", "Function.call(null, 'return 1');", "const f = Function.bind(null, 'a');",
    "g['Func' + 'tion']('return 1');", "window.Function('return 1');", "module.exports = { make: Function };",
])
def test_indirect_function_forms_are_errors(code):
    assert "code.new_function" in scan_built("alipay", **with_code(code)).codes()


@pytest.mark.parametrize("code", [
    "obj.eval = 1;", "const o = {eval: 1, Function: 2};", "const o = { eval : 1 };", "if (typeof eval === 'function') go();",
    "const s = 'eval and Function';", "// (0, eval)('x')", "const re = /eval|Function/;", "const t = `${a} eval(x) ${b}`;",
    "x instanceof Function;", "Function.prototype.toString.call(fn);", "fn.constructor === Function;",
    "const words = ['eval', 'Function'];", "function pick() { return ['eval']; }", "obj['evaluate'](x);",
    "const Function = makeFactory;", "const evaluate = 1, isFunction = 2, $eval = 3, eval_ = 4;",
])
def test_eval_and_function_lookalikes_are_not_flagged(code):
    assert not {"code.eval", "code.new_function"} & scan_built("alipay", **with_code(code)).codes()


def test_function_as_a_typescript_type_is_not_a_reference():
    code = "export function on(name: string, cb: Function, list?: Array<Function>): Function | null { return cb; }\n"

    assert "code.new_function" not in scan_built("alipay", files={"utils/events.ts": code}).codes()


def test_computed_member_of_concatenated_literals_is_the_api_it_names():
    direct = only(scan_built("alipay", **with_code("my.request({ url: 'https://evil.test/x' });")), "network.not_allowed")
    computed = only(scan_built("alipay", **with_code("my['req' + 'uest']({ url: 'https://evil.test/x' });")),
                    "network.not_allowed")

    assert (computed.params, computed.line, computed.column) == (direct.params, direct.line, direct.column)


# Built from pieces so that no whole token sits in this file for other scanners to trip on.
SERVICE_TOKENS = [
    ("sk_live_" + "51HxQ2eZvKYlo2C0aBcDeFgHiJkLmNoP", "Stripe"), ("rk_live_" + "51HxQ2eZvKYlo2C0aBcDeFgH", "Stripe"),
    *[(prefix + "_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5", "GitHub") for prefix in ("ghp", "gho", "ghu", "ghs", "ghr")],
    ("github_pat_" + "11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij", "GitHub"),
]


@pytest.mark.parametrize(("token", "service"), SERVICE_TOKENS)
def test_service_tokens_are_errors_and_redacted(token, service):
    finding = only(scan_built("alipay", **with_code(f"const headers = {{ Authorization: 'Bearer {token}' }};")),
                   "secret.service_token")

    assert (finding.severity.value, finding.line, finding.column) == ("error", APPENDED_CODE_LINE, len("const headers = { Authorization: 'Bearer ") + 1)
    assert service in finding.message and token[:8] in finding.message
    assert token not in finding.message and token not in str(finding.params)


@pytest.mark.parametrize("text", [
    "sk_test_" + "51HxQ2eZvKYlo2C0aBcDeFgHiJkLmNoP", "pk_live_" + "51HxQ2eZvKYlo2C0aBcDeFgHiJkLmNoP",
    "ask_live_" + "51HxQ2eZvKYlo2C0aBcDeFgHiJkLmNoP", "ghp_" + "short", "my_ghp_" + "is_not_a_token_at_all_but_long_enough",
])
def test_test_keys_public_keys_and_lookalikes_are_not_service_tokens(text):
    assert "secret.service_token" not in scan_built("alipay", **with_code(f"const k = '{text}';")).codes()


@pytest.mark.parametrize(("url", "shown"), [
    ("mysql://root:S3cr3tPass@db.internal/shop", "mysql://root:…@db.internal"),
    ("redis://:hunter2-but-longer@cache.example.com:6379", "redis://:…@cache.example.com:6379"),
    ("https://deploy:" + "x9Kq2LmN0pQ" + "@git.example.com/repo.git", "https://deploy:…@git.example.com"),
])
def test_password_in_a_url_is_an_error_showing_no_password(url, shown):
    finding = only(scan_built("alipay", **with_code(f"// old config\nconst DSN = '{url}';")), "secret.url_password")

    assert (finding.line, finding.column) == (APPENDED_CODE_LINE + 1, len("const DSN = '") + 1)
    assert finding.params == {"url": shown}
    assert url.split(":")[2].split("@")[0] not in finding.message


@pytest.mark.parametrize("url", [
    "https://user@example.com/", "https://example.com/a:b@c", "mysql://root:@db.internal", "mysql://root:password@db",
    "mysql://root:${DB_PASSWORD}@db", "mysql://root:<password>@db", "mysql://root:****@db", "amqp://guest:%s@mq",
    "mysql://user:YOUR_PASSWORD@db", "mailto:someone@example.com", "git@github.com:org/repo.git",
])
def test_urls_without_a_real_password_are_not_flagged(url):
    assert "secret.url_password" not in scan_built("alipay", **with_code(f"const u = '{url}';")).codes()
