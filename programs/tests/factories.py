"""factory_boy factories and small builders for the programs tests.

Factories build rows directly (no audit events, no scans); tests of a service call the service.
Categories come from the seed migration, so `category("games")` fetches one instead of building it.
Valid and hostile packages come from programs/samples.py.
"""

import hashlib
import io
import struct
import zipfile
import zlib

import factory
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from factory.django import DjangoModelFactory
from PIL import Image

from console.tests.factories import OrganisationFactory
from programs.models import Category, MiniProgram, PrivacyItem, Version
from programs.services import version_sort_key


def category(code: str) -> Category:
    return Category.objects.get(code=code)


class MiniProgramFactory(DjangoModelFactory):
    class Meta:
        model = MiniProgram
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    appid = factory.Sequence(lambda n: f"2025{n:012d}")
    name = factory.Sequence(lambda n: f"Program {n}")
    # What reviewers need before a version can be submitted (releases.missing_for_review).
    description = "Everything a reviewer needs to know about this mini-program."
    privacy_policy_url = "https://example.com/privacy"

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create:
            self.categories.set(extracted if extracted is not None else [category("tools")])

    @factory.post_generation
    def privacy(self, create, extracted, **kwargs):
        """The privacy declaration (kind -> purpose); by default location, which the sample packages use."""
        if create:
            items = extracted if extracted is not None else {"location": "Show the stores nearest to you"}
            for kind, purpose in items.items():
                PrivacyItem.objects.create(program=self, kind=kind, purpose=purpose)


class VersionFactory(DjangoModelFactory):
    """A version row with a stored package (`package_bytes`, default a few junk bytes) in `status`."""

    class Meta:
        model = Version
        exclude = ("package_bytes",)

    program = factory.SubFactory(MiniProgramFactory)
    version = factory.Sequence(lambda n: f"1.0.{n}")
    sort_key = factory.LazyAttribute(lambda o: version_sort_key(o.version))
    package_bytes = factory.Sequence(lambda n: f"package {n}".encode())
    package_sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.package_bytes).hexdigest())
    package_size = factory.LazyAttribute(lambda o: len(o.package_bytes))
    package = factory.LazyAttribute(lambda o: ContentFile(o.package_bytes, name="package.zip"))
    status = Version.Status.UPLOADED


# ---------------------------------------------------------------- images


def image_bytes(size=(256, 256), *, mode="RGB", fmt="PNG", color=None) -> bytes:
    if color is None:
        color = {"RGB": (30, 120, 200), "RGBA": (30, 120, 200, 128), "CMYK": (10, 20, 30, 0), "L": 128, "P": 3}[mode]
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format=fmt)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A few dozen bytes of PNG whose header declares `width`×`height` pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def zipped(data: bytes) -> bytes:
    """A zip archive holding `data` as its one file, the same bytes for the same data: for tests of uploads, where
    what matters is that packages differ or repeat, not what is in them (the upload refuses what is no zip)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("data", date_time=(2026, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def upload(data: bytes, name: str = "package.zip", content_type: str = "application/zip") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


# ---------------------------------------------------------------- programs ready for real packages

# The allowlist under which the packages of programs/samples.py scan clean.
PACKAGE_ALLOWLIST = {
    "request_domains": ["https://api.example.com"],
    "upload_domains": ["https://api.example.com"],
    "download_domains": ["https://api.example.com"],
    "socket_domains": ["wss://ws.example.com"],
}


def scannable_program(org, **fields) -> MiniProgram:
    """A program of `org` whose allowlist lets the valid test packages scan without errors."""
    return MiniProgramFactory(organisation=org, **{**PACKAGE_ALLOWLIST, **fields})


def scan_tasks(callbacks) -> list:
    """The on-commit callbacks that queue a scan (others, such as notifications, may be queued too)."""
    return [c for c in callbacks if "scan_version" in repr(c)]
