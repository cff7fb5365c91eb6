"""Real mini-program zip archives: valid packages per dialect and a hostile corpus (tests, demo data, bench).

    build_package("wechat")                      -> bytes of a valid WeChat package
    build_package("alipay", code="eval('1')")    -> the same package with extra code in app.js
    hostile_cases()                              -> [HostileCase(name, data, code, config)]
    hostile_packages()                           -> {name: bytes}

Everything is built in memory (no fixtures on disk) and deterministically. Hostile archives that
`zipfile` refuses to write (lying headers, symlinks, encrypted flags, bad names) are written by
`raw_zip`, a minimal zip writer where every header field can be set.
"""

from __future__ import annotations

import functools
import io
import json
import random
import struct
import zipfile
import zlib
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

MIB = 1024 * 1024
DIALECTS = ("alipay", "wechat", "douyin", "baidu")
ORG_KEY_PREFIX = "mpk_3fa2b1c9d0e4_"
# The hosts the valid packages talk to; pass as ScanConfig(allowed_domains=...).
ALLOWED_DOMAINS = {
    "request": ["api.example.com"],
    "upload": ["api.example.com"],
    "download": ["api.example.com"],
    "socket": ["ws.example.com"],
}
API_URL, SOCKET_URL = "https://api.example.com", "wss://ws.example.com"


@dataclass(frozen=True)
class DialectFiles:
    namespace: str
    template: str
    style: str
    project_file: str
    project: dict
    tab_list: str
    tab_text: str
    icon_keys: tuple[str, str]
    private_infos: bool = False


DIALECT_FILES = {
    "alipay": DialectFiles("my", ".axml", ".acss", "mini.project.json", {"format": 2, "compileType": "mini"},
                           "items", "name", ("icon", "activeIcon")),
    "wechat": DialectFiles("wx", ".wxml", ".wxss", "project.config.json",
                           {"appid": "wx1234567890abcdef", "compileType": "miniprogram"},
                           "list", "text", ("iconPath", "selectedIconPath"), private_infos=True),
    "douyin": DialectFiles("tt", ".ttml", ".ttss", "project.config.json", {"appid": "tt1234567890abcdef"},
                           "list", "text", ("iconPath", "selectedIconPath")),
    "baidu": DialectFiles("swan", ".swan", ".css", "project.swan.json", {"appid": "12345678"},
                          "list", "text", ("iconPath", "selectedIconPath")),
}
TAB_PAGES = ["pages/index/index", "pages/profile/profile", "pages/cart/cart", "pages/orders/orders",
             "pages/more/more", "pages/extra/extra"]
SUBPACKAGE = ("packageA/", ["pages/detail/detail", "pages/list/list"])
THEME = {
    "light": {"navBg": "#ffffff", "tabSelected": "#1677ff", "homeIcon": "images/home.png",
              "homeIconActive": "images/home-active.png"},
    "dark": {"navBg": "#000000", "tabSelected": "#4096ff", "homeIcon": "images/home-dark.png",
             "homeIconActive": "images/home-active-dark.png"},
}


# --- valid packages ----------------------------------------------------------------------------


def build_package(dialect: str = "alipay", **options) -> bytes:
    """A valid package of `dialect` as zip bytes; see `package_files` for the options."""
    return zip_files(package_files(dialect, **options))


def sized_package(total_bytes: int = 2 * MIB - 64 * 1024, *, seed: int = 0, tag: str = "") -> bytes:
    """A valid Alipay package of about `total_bytes`, its bulk in photos that do not compress.

    The default stays just under the 2 MB main-package limit, so it scans to `ready`. A `tag`
    (written to tag.txt) makes packages with the same photos differ, e.g. for a burst of uploads.
    """
    base = build_package("alipay")
    photos: dict[str, bytes | str | None] = {"tag.txt": tag} if tag else {}
    budget, index = total_bytes - len(base), 0
    while budget > 0:
        side = min(320, max(16, int((budget / 3) ** 0.5)))
        photos[f"images/photo{index}.png"] = noise_png(side, side, seed=seed * 1000 + index)
        budget -= len(photos[f"images/photo{index}.png"])
        index += 1
    return build_package("alipay", files=photos)


def package_files(
    dialect: str = "alipay",
    *,
    root: str = "",
    wrap: str = "",
    tab_count: int = 2,
    subpackages: bool = True,
    theme: bool = True,
    code: str = "",
    app_json: dict | str | None = None,
    files: dict[str, bytes | str | None] | None = None,
    api: str = API_URL,
    socket: str | None = SOCKET_URL,
    location: bool = True,
) -> dict[str, bytes]:
    """The files of a valid package, by archive name.

    `root` puts the mini-program in a folder named by the project file (WeChat `miniprogramRoot`);
    `wrap` puts the whole project in a top-level folder, as zipping a folder does. `code` is appended
    to app.js. `app_json` as a dict is merged into the default app.json (a None value deletes a
    key); as a str it replaces the file. `files` adds or replaces files (relative to the root; None
    deletes one). `api` is the server the code calls, `socket` the live socket's (None: no socket);
    `location=False` leaves out the location call and its `scope.userLocation` permission.
    """
    spec = DIALECT_FILES[dialect]
    pages = TAB_PAGES[:max(tab_count, 2)]
    tree: dict[str, bytes | str] = {}
    for page in pages + ([SUBPACKAGE[0] + page for page in SUBPACKAGE[1]] if subpackages else []):
        tree.update(_page(spec, page, api))
    tree["app.js"] = _app_js(spec, api, socket, location) + code
    tree["app" + spec.style] = "page { background: #f5f5f5; }\n"
    tree["app.json"] = _app_json_text(_app_config(spec, pages, tab_count, subpackages, theme, location), app_json)
    tree.update(_icons(theme))
    if theme:
        tree["theme.json"] = json.dumps(THEME, indent=2)
    tree["utils/format.js"] = _UTILS_JS
    for name, content in (files or {}).items():
        if content is None:
            tree.pop(name, None)
        else:
            tree[name] = content
    project = dict(spec.project, **({"miniprogramRoot": root} if root else {}))
    archive = {wrap + root + name: _bytes(content) for name, content in tree.items()}
    archive[wrap + spec.project_file] = json.dumps(project, indent=2).encode()
    return archive


# Every entry's time: the same files make the same bytes, whenever they are zipped. With the clock's time, two
# builds of one package a second apart were two packages, and a test of the duplicate answer failed now and then.
ENTRY_TIME = (2026, 1, 1, 0, 0, 0)


def zip_files(files: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in files.items():
            entry = zipfile.ZipInfo(name, date_time=ENTRY_TIME)
            entry.external_attr = 0o644 << 16  # rw-r--r--, as a file unzipped by a reviewer should be
            archive.writestr(entry, content, compress_type=compression)
    return buffer.getvalue()


def _bytes(content: bytes | str) -> bytes:
    return content.encode() if isinstance(content, str) else content


def _page(spec: DialectFiles, page: str, api: str = API_URL) -> dict[str, str]:
    title = page.split("/")[-1].title()
    return {
        page + spec.template: f'<view class="page">\n  <text>{title}</text>\n</view>\n',
        page + spec.style: ".page { padding: 16px; }\n",
        page + ".js": _PAGE_JS.replace("NS", spec.namespace).replace("TITLE", title).replace(API_URL, api),
        page + ".json": json.dumps({"usingComponents": {}}),
    }


_APP_JS = """\
// App entry. Words like eval( and new Function( in comments must not be flagged.
const API_BASE = 'https://api.example.com';

App({
  globalData: { hint: "NS.getPhoneNumber is only mentioned in this string" },
  onLaunch() {
    NS.request({
      url: API_BASE + '/v1/launch',
      method: 'GET',
    });
    NS.connectSocket({ url: 'wss://ws.example.com/live' });
  },
  locate() {
    NS.getLocation({ success: (res) => console.log(res.latitude, res.longitude) });
  },
});
"""

_PAGE_JS = """\
const { formatPrice } = require('../../utils/format.js');

Page({
  data: { title: 'TITLE', price: formatPrice(12.5) },
  onLoad() {
    NS.downloadFile({ url: `${API_BASE}/v1/banner.png` });
    NS.uploadFile({ url: 'https://api.example.com/v1/avatar', filePath: 'x', name: 'file' });
  },
});
"""

_UTILS_JS = """\
/** Formats prices for display. */
function formatPrice(value) {
  const fixed = Number(value).toFixed(2);
  return `¥${fixed}`;
}

module.exports = { formatPrice };
"""


_SOCKET_LINE = "    NS.connectSocket({ url: 'wss://ws.example.com/live' });\n"
_LOCATE_METHOD = """\
  locate() {
    NS.getLocation({ success: (res) => console.log(res.latitude, res.longitude) });
  },
"""


def _app_js(spec: DialectFiles, api: str = API_URL, socket: str | None = SOCKET_URL, location: bool = True) -> str:
    text = _APP_JS.replace(API_URL, api)
    text = text.replace(_SOCKET_LINE, _SOCKET_LINE.replace(SOCKET_URL, socket) if socket else "")
    if not location:
        text = text.replace(_LOCATE_METHOD, "")
    return text.replace("NS", spec.namespace)


def _app_config(spec: DialectFiles, pages: list[str], tab_count: int, subpackages: bool, theme: bool,
                location: bool = True) -> dict:
    config: dict = {
        "pages": pages,
        "window": {"navigationBarBackgroundColor": "@navBg" if theme else "#ffffff", "defaultTitle": "Demo"},
        "tabBar": _tab_bar(spec, pages[:tab_count], theme),
    }
    if location:
        config["permission"] = {"scope.userLocation": {"desc": "Shows the stores near you."}}
    if subpackages:
        config["subPackages"] = [{"root": SUBPACKAGE[0].rstrip("/"), "pages": SUBPACKAGE[1]}]
    if theme:
        config["themeLocation"] = "theme.json"
    if spec.private_infos and location:
        config["requiredPrivateInfos"] = ["getLocation"]
    return config


def _tab_bar(spec: DialectFiles, pages: list[str], theme: bool) -> dict:
    icon, active = spec.icon_keys
    items = []
    for index, page in enumerate(pages):
        themed = theme and index == 0
        items.append({
            "pagePath": page,
            spec.tab_text: page.split("/")[-1].title(),
            icon: "@homeIcon" if themed else f"images/tab{index}.png",
            active: "@homeIconActive" if themed else f"images/tab{index}-active.png",
        })
    return {"selectedColor": "@tabSelected" if theme else "#1677ff", spec.tab_list: items}


def _app_json_text(default: dict, override: dict | str | None) -> str:
    if isinstance(override, str):
        return override
    merged = dict(default)
    for key, value in (override or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return json.dumps(merged, indent=2, ensure_ascii=False)


def _icons(theme: bool) -> dict[str, bytes]:
    names = [f"images/tab{index}{state}.png" for index in range(len(TAB_PAGES)) for state in ("", "-active")]
    if theme:
        names += [path for mode in THEME.values() for key, path in mode.items() if key.endswith(("Icon", "Active"))]
    return {name: png_icon(seed=index) for index, name in enumerate(names)}


@functools.lru_cache(maxsize=64)
def png_icon(size: int = 81, seed: int = 0) -> bytes:
    """A small real PNG tab icon drawn with Pillow."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    colour = (22 + seed * 7 % 200, 119, 255 - seed * 11 % 200, 255)
    draw.ellipse((size // 8, size // 8, size - size // 8, size - size // 8), outline=colour, width=max(2, size // 16))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@functools.lru_cache(maxsize=64)
def noise_png(width: int, height: int, seed: int = 0) -> bytes:
    """A photo-like PNG that does not compress: realistic bulk for size tests and benchmarks."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares `width` x `height` pixels (a decompression bomb)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(
        b"IEND", b"")


# --- raw archives ------------------------------------------------------------------------------


@dataclass
class RawEntry:
    """One member exactly as written: `payload` is the (already compressed) data.

    `crc` and `size` default to those of `content` (the real uncompressed bytes) or of `payload`;
    set them to lie. `offset` overrides the central directory's pointer to the local header.
    """

    name: str | bytes
    payload: bytes = b""
    content: bytes | None = None
    method: int = zipfile.ZIP_STORED
    crc: int | None = None
    size: int | None = None
    flags: int = 0
    external_attr: int = 0o100644 << 16
    create_system: int = 3
    offset: int | None = None
    extra: dict = field(default_factory=dict)

    def name_bytes(self) -> bytes:
        return self.name if isinstance(self.name, bytes) else self.name.encode("utf-8")

    def flag_bits(self) -> int:
        utf8 = isinstance(self.name, str) and not self.name.isascii()
        return self.flags | (0x800 if utf8 else 0)


_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")


def raw_zip(entries: list[RawEntry]) -> bytes:
    """A zip whose headers say exactly what the entries say (true or not)."""
    out, offsets = io.BytesIO(), []
    for entry in entries:
        offsets.append(out.tell())
        crc, size = _crc_and_size(entry)
        name = entry.name_bytes()
        out.write(_LOCAL.pack(b"PK\x03\x04", 20, entry.flag_bits(), entry.method, 0, 0x21, crc,
                              len(entry.payload), size, len(name), 0))
        out.write(name + entry.payload)
    directory_start = out.tell()
    for entry, offset in zip(entries, offsets):
        crc, size = _crc_and_size(entry)
        name = entry.name_bytes()
        out.write(_CENTRAL.pack(b"PK\x01\x02", (entry.create_system << 8) | 20, 20, entry.flag_bits(), entry.method,
                                0, 0x21, crc, len(entry.payload), size, len(name), 0, 0, 0, 0, entry.external_attr,
                                entry.offset if entry.offset is not None else offset))
        out.write(name)
    directory_size = out.tell() - directory_start
    out.write(_END.pack(b"PK\x05\x06", 0, 0, len(entries), len(entries), directory_size, directory_start, 0))
    return out.getvalue()


def _crc_and_size(entry: RawEntry) -> tuple[int, int]:
    real = entry.content if entry.content is not None else entry.payload
    crc = entry.crc if entry.crc is not None else zlib.crc32(real)
    size = entry.size if entry.size is not None else len(real)
    return crc, size


def deflate(data: bytes) -> bytes:
    """Raw deflate, as stored in a zip member."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


@functools.lru_cache(maxsize=8)
def deflated_zeros(mebibytes: int) -> tuple[bytes, int]:
    """(raw deflate stream, CRC-32) of `mebibytes` MiB of zeros, built without compressing them all.

    One MiB is compressed and flushed with Z_FULL_FLUSH, which byte-aligns the output and resets the
    window, so repeating those bytes is a valid stream; a final empty block ends it.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(b"\0" * MIB) + compressor.flush(zlib.Z_FULL_FLUSH)
    ending = compressor.flush(zlib.Z_FINISH)
    crc, zeros = 0, bytes(MIB)
    for _ in range(mebibytes):
        crc = zlib.crc32(zeros, crc)
    return block * mebibytes + ending, crc


def zip_bomb(mebibytes: int = 1024, name: str = "assets/data.bin") -> bytes:
    """One deflated member of `mebibytes` MiB of zeros, declared honestly (1 GiB in about 1 MB)."""
    payload, crc = deflated_zeros(mebibytes)
    return raw_zip([RawEntry(name, payload, method=zipfile.ZIP_DEFLATED, crc=crc, size=mebibytes * MIB)])


# --- the hostile corpus ------------------------------------------------------------------------


@dataclass(frozen=True)
class HostileCase:
    """A hostile package, the finding code it must produce, and ScanConfig overrides it needs."""

    name: str
    data: bytes
    code: str
    config: dict = field(default_factory=dict)


def hostile_packages() -> dict[str, bytes]:
    return {case.name: case.data for case in hostile_cases()}


def hostile_cases() -> list[HostileCase]:
    return list(_all_hostile_cases())


@functools.lru_cache(maxsize=1)
def _all_hostile_cases() -> tuple[HostileCase, ...]:
    return tuple(_archive_cases() + _structure_cases() + _content_cases())


def _with_member(name: str | bytes, content: bytes = b"x", **raw) -> bytes:
    """A valid Alipay package plus one raw member, written with `raw_zip` so anything goes."""
    entries = [RawEntry(path, data) for path, data in package_files("alipay").items()]
    return raw_zip(entries + [RawEntry(name, content, **raw)])


def _archive_cases() -> list[HostileCase]:
    valid = build_package("alipay")
    lying_payload, lying_crc = deflated_zeros(10)
    inner_bomb = zip_bomb(64)
    return [
        HostileCase("not_zip", b"This is a text file, not a zip archive.\n" * 4, "archive.not_zip"),
        HostileCase("empty_file", b"", "archive.not_zip"),
        HostileCase("truncated", valid[: len(valid) // 2], "archive.corrupt"),
        HostileCase("empty_archive", raw_zip([]), "archive.empty"),
        HostileCase("zip_bomb_1gib", zip_bomb(1024), "archive.too_large"),
        HostileCase("ratio_bomb", zip_bomb(50), "archive.ratio"),
        HostileCase("nested_zip_bomb", zip_files({**package_files("alipay"), "assets/more.zip": inner_bomb}),
                    "archive.nested_archive"),
        HostileCase("lying_header", raw_zip([RawEntry("assets/small.bin", lying_payload, method=zipfile.ZIP_DEFLATED,
                                                      crc=lying_crc, size=100)]), "archive.size_mismatch"),
        HostileCase("path_traversal", _with_member("../../evil.js"), "archive.path_traversal"),
        HostileCase("absolute_path", _with_member("/etc/cron.d/evil"), "archive.absolute_path"),
        HostileCase("backslash", _with_member("pages\\evil\\evil.js"), "archive.backslash"),
        HostileCase("drive_letter", _with_member("C:/Windows/evil.js"), "archive.bad_name"),
        HostileCase("control_characters", _with_member("pages/evil\x01.js"), "archive.bad_name"),
        HostileCase("non_utf8_name", _with_member(b"pages/" + "页面.js".encode("gbk")), "archive.bad_name"),
        HostileCase("symlink", _with_member("pages/link.js", b"/etc/passwd", external_attr=0o120777 << 16),
                    "archive.symlink"),
        HostileCase("fifo", _with_member("pages/pipe", b"", external_attr=0o010644 << 16), "archive.special_file"),
        HostileCase("duplicate_name", _with_member("app.js", b"App({});"), "archive.duplicate_name"),
        HostileCase("encrypted", _with_member("pages/secret.js", b"\x00" * 24, flags=0x1), "archive.encrypted"),
        HostileCase("bzip2_member", _with_member("pages/data.js", b"BZh91AY&SY", method=12),
                    "archive.compression_method"),
        HostileCase("too_many_entries", _many_entries(10_000), "archive.too_many_entries"),
        HostileCase("overlapping_entries", _overlapping(), "archive.overlapping_entries"),
    ]


def _many_entries(count: int) -> bytes:
    return raw_zip([RawEntry(f"assets/f{index}.txt", b"x") for index in range(count)])


def _overlapping() -> bytes:
    """Two central entries pointing at one local header (the non-recursive zip bomb technique)."""
    entries = [RawEntry(path, data) for path, data in package_files("alipay").items()]
    entries.append(RawEntry("assets/a.bin", b"A" * 1000))
    first_pass = raw_zip(entries)
    shared_offset = zipfile.ZipFile(io.BytesIO(first_pass)).infolist()[-1].header_offset
    return raw_zip(entries + [RawEntry("assets/b.bin", b"A" * 1000, offset=shared_offset)])


def _structure_cases() -> list[HostileCase]:
    deep = "[" * 200 + "]" * 200
    return [
        HostileCase("app_json_not_json", build_package("alipay", app_json="{pages: [oops"),
                    "structure.app_json_invalid"),
        HostileCase("app_json_not_object", build_package("alipay", app_json='["pages/index/index"]'),
                    "structure.app_json_not_object"),
        HostileCase("app_json_too_deep", build_package("alipay", app_json='{"pages": ' + deep + "}"),
                    "structure.app_json_too_deep"),
        HostileCase("missing_page", build_package("alipay", app_json={
            "pages": ["pages/index/index", "pages/profile/profile", "pages/ghost/ghost"]}),
            "structure.page_missing_template"),
        HostileCase("oversize_main", build_package("alipay", files={"images/banner.png": noise_png(900, 900)}),
                    "size.main_too_large"),
        HostileCase("png_bomb", build_package("alipay", files={"images/huge.png": png_declaring(100_000, 100_000)}),
                    "image.bomb"),
    ]


def _content_cases() -> list[HostileCase]:
    private_key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn\n-----END RSA PRIVATE KEY-----\n"
    return [
        HostileCase("eval", build_package("alipay", code="\neval(userInput);\n"), "code.eval"),
        HostileCase("new_function", build_package("alipay", code="\nconst f = new Function('a', 'return a');\n"),
                    "code.new_function"),
        HostileCase("private_key", build_package("alipay", files={"keys/server.pem": private_key}),
                    "secret.private_key"),
        HostileCase("cloud_key", build_package("alipay", code=(
            "\nconst oss = { accessKeyId: 'LTAI5tQ7xYz9AbCdEfGh1234', "
            "accessKeySecret: 'Gx4Zh7yEJlGkV9Kq8wR7Ho2bYYwY9D' };\n")), "secret.cloud_key"),
        HostileCase("org_api_key", build_package("alipay", code=f"\nconst KEY = '{ORG_KEY_PREFIX}s3cr3tS3cr3tValue';\n"),
                    "secret.org_api_key", {"org_key_prefixes": [ORG_KEY_PREFIX]}),
        HostileCase("undeclared_location", build_package("wechat", app_json={"requiredPrivateInfos": None}),
                    "privacy.undeclared"),
        HostileCase("location_not_in_declaration", build_package("alipay"), "privacy.not_in_declaration",
                    {"privacy_declaration": {}}),
        HostileCase("insecure_url", build_package("alipay", code="\nmy.request({ url: 'http://api.example.com/x' });\n"),
                    "network.insecure"),
        HostileCase("ip_literal", build_package("alipay", code="\nmy.request({ url: 'https://10.0.0.8/api' });\n"),
                    "network.ip_literal"),
        HostileCase("disallowed_domain", build_package("alipay", code="\nmy.request({ url: 'https://evil.test/x' });\n"),
                    "network.not_allowed", {"allowed_domains": ALLOWED_DOMAINS}),
    ]
