"""tabBar rules and image checks.

Images are opened with Pillow, which parses only the header on `open`; the pixel count is checked
against the limit before anything is decoded, so a tiny file declaring 100,000 x 100,000 pixels
costs nothing. Pillow's own global bomb limit is left alone (the scan must not change process state):
its warning is silenced inside the check and its hard error is reported as `image.bomb`.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from .appjson import AppManifest, TabItem
from .codes import new_finding
from .config import ScanConfig
from .findings import Finding
from .package import IMAGE_EXTENSIONS, Package, extension
from .structure import Theme, subpackage_of

MIN_TABS, MAX_TABS = 2, 5
DEFAULT_TAB_ICON_SIDE = 81
TAB_ICON_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg"})
# "About 81x81": icons down to 20% smaller than the recommended side, and as much out of square, are fine.
TAB_ICON_TOLERANCE = 0.2


@dataclass(frozen=True)
class ImageCheck:
    """The outcome of opening an image: its size, or why it could not be used."""

    width: int = 0
    height: int = 0
    problem: str | None = None  # "bomb" or "unreadable"
    detail: str = ""


def inspect_image(data: bytes, max_pixels: int, *, decode: bool = False) -> ImageCheck:
    """Identify an image and read its header; fully decode it only when `decode` (tab icons).

    Decoding every image of a package would cost more than the rest of the scan, so ordinary
    images are checked for what breaks hosts and reviewers' tools: an unknown or damaged header
    and a pixel count that would exhaust memory.
    """
    with _bomb_warnings_silenced():
        return _inspected(data, max_pixels, decode)


@contextmanager
def _bomb_warnings_silenced() -> Iterator[None]:
    """Pillow's bomb warning silenced for one image or a whole loop (entering this costs more than a header)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        yield


def _inspected(data: bytes, max_pixels: int, decode: bool) -> ImageCheck:
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > max_pixels:
                return ImageCheck(width, height, "bomb", f"{width}x{height} pixels")
            if decode:
                image.load()
            return ImageCheck(width, height)
    except Image.DecompressionBombError as error:
        return ImageCheck(problem="bomb", detail=str(error))
    except Exception as error:  # noqa: BLE001 - Pillow raises many types on hostile data; all mean "unreadable"
        return ImageCheck(problem="unreadable", detail=_unreadable_because(error))


def _unreadable_because(error: Exception) -> str:
    """Why, in words for the developer: Pillow's own messages name its internals (`<_io.BytesIO object at 0x…>`)."""
    if isinstance(error, UnidentifiedImageError):
        return "its content is not a PNG, JPEG, GIF, WebP or BMP image"
    return "its image data is damaged or cut short"


def check_images(package: Package, config: ScanConfig) -> list[Finding]:
    with _bomb_warnings_silenced():
        return [finding for name in package.names_with(IMAGE_EXTENSIONS)
                if (finding := _image_finding(package, name, config)) is not None]


def _image_finding(package: Package, name: str, config: ScanConfig) -> Finding | None:
    data = package.members[name].data
    if data is None:
        return None
    result = _inspected(data, config.image_max_pixels, decode=False)
    if result.problem == "bomb":
        return new_finding(
            "image.bomb", f"{name} declares {result.detail}; the limit is {config.image_max_pixels:,} pixels.",
            file=name)
    if result.problem == "unreadable":
        return new_finding("image.unreadable", f"{name} cannot be decoded ({result.detail}).", file=name)
    return None


def check_tab_bar(package: Package, manifest: AppManifest, theme: Theme, config: ScanConfig) -> list[Finding]:
    items = manifest.tab_items
    if items is None:
        return []
    findings = _count_findings(manifest, len(items))
    for tab in items:
        findings += _page_findings(manifest, tab)
    icons = dict.fromkeys(path for tab in items for raw in tab.icons for path in theme.resolve(raw))
    for path in icons:
        findings += _icon_findings(package, manifest, path, config)
    return findings


def _count_findings(manifest: AppManifest, count: int) -> list[Finding]:
    if count < MIN_TABS:
        return [manifest.finding("tabbar.too_few", f"The tabBar has {count} tab(s); at least {MIN_TABS} are needed.",
                                 "tabBar", key=True, params={"count": count})]
    if count > MAX_TABS:
        return [manifest.finding("tabbar.too_many", f"The tabBar has {count} tabs; at most {MAX_TABS} are allowed.",
                                 "tabBar", key=True, params={"count": count})]
    return []


def _page_findings(manifest: AppManifest, tab: TabItem) -> list[Finding]:
    subpackage_pages = {page for sub in manifest.subpackages for page in sub.page_paths()}
    if tab.page in subpackage_pages or subpackage_of(tab.page, manifest.subpackages) is not None:
        return [manifest.finding(
            "structure.tabbar_page_in_subpackage", f"Tab page {tab.page!r} is in a subpackage.", tab.page,
            params={"page": tab.page})]
    if tab.page not in manifest.pages:
        return [manifest.finding("tabbar.page_unknown", f"Tab page {tab.page!r} is not listed in pages.", tab.page,
                                 params={"page": tab.page})]
    return []


def _icon_findings(package: Package, manifest: AppManifest, path: str, config: ScanConfig) -> list[Finding]:
    def finding(code: str, message: str, **params: object) -> Finding:
        return manifest.finding(code, message, path, params={"icon": path, **params})

    if path.startswith(("http://", "https://", "//")):
        return [finding("tabbar.icon_format", f"Tab icon {path!r} is a network image; icons must be in the package.")]
    name = package.in_root(path)
    member = package.members.get(name)
    if member is None:
        return [finding("tabbar.icon_missing", f"Tab icon {name} is not in the package.")]
    if extension(name) not in TAB_ICON_EXTENSIONS:
        return [finding("tabbar.icon_format", f"Tab icon {name} must be a PNG or JPEG.")]
    findings = []
    if member.size > config.tab_icon_max_bytes:
        findings.append(finding(
            "tabbar.icon_too_large", f"Tab icon {name} is {member.size:,} bytes; the limit is "
            f"{config.tab_icon_max_bytes:,}.", size=f"{member.size:,}", limit=f"{config.tab_icon_max_bytes:,}"))
    if member.data is not None:
        findings += _icon_image_findings(name, member.data, config, finding, package.dialect)
    return findings


def _icon_image_findings(name: str, data: bytes, config: ScanConfig, finding, dialect) -> list[Finding]:
    result = inspect_image(data, config.image_max_pixels, decode=True)
    if result.problem == "unreadable":
        return [finding("tabbar.icon_format", f"Tab icon {name} cannot be decoded ({result.detail}).")]
    if result.problem:
        return []  # a bomb is reported once, by check_images
    side = config.tab_icon_size or (dialect.tab_icon_side if dialect else DEFAULT_TAB_ICON_SIDE)
    slack = side * TAB_ICON_TOLERANCE
    width, height = result.width, result.height
    # Hosts draw icons at about `side` pixels: a larger square icon is scaled down and stays sharp
    # (its bytes are capped by tab_icon_max_bytes); a smaller one is blown up and blurs, a non-square
    # one is stretched.
    if min(width, height) < side - slack or abs(width - height) > slack:
        return [finding(
            "tabbar.icon_dimensions",
            f"Tab icon {name} is {width}x{height}; hosts draw it at about {side}x{side}, so it is "
            f"{'stretched' if abs(width - height) > slack else 'blown up and blurs'}.",
            width=width, height=height, side=side, effect="stretched" if abs(width - height) > slack else "blurred")]
    return []
