"""Demo programs with versions in every lifecycle state (see console/demo.py for the people)."""

import hashlib

from django.core.files.uploadedfile import SimpleUploadedFile

from programs.lifecycle import version_transition
from programs.models import Category, MiniProgram, Version
from programs.releases import program_rollback, version_release, version_set_trial, version_submit
from programs.samples import build_package
from programs.scans import version_scan
from programs.services import program_create, program_set_logo, program_set_privacy_declaration, version_upload

S = Version.Status
# The sample packages call api.example.com and ws.example.com.
DOMAINS = {"request": ["https://api.example.com"], "upload": ["https://api.example.com"],
           "download": ["https://api.example.com"], "socket": ["wss://ws.example.com"]}


PALETTE = ["#1677ff", "#12a150", "#f5a623", "#d92d20", "#7a5af8", "#0ba5ec"]


def _logo(seed: int) -> bytes:
    """A 240 px demo logo: a coloured tile with a white ring, different per program."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 240), PALETTE[seed % len(PALETTE)])
    ImageDraw.Draw(image).ellipse((60, 60, 180, 180), outline="white", width=22)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _package(version: str, code: str = "", **options) -> SimpleUploadedFile:
    data = build_package("alipay", code=f"\n// build {version}\n{code}", **options)
    package = SimpleUploadedFile(f"{version}.zip", data, content_type="application/zip")
    package.sha256 = hashlib.sha256(data).hexdigest()
    return package


def _upload(program, dev, version, *, scan=True, code="", description="", **options) -> Version:
    result = version_upload(program=program, actor=dev, version=version, package=_package(version, code, **options),
                            description=description or f"Release {version}", method=Version.UploadMethod.CLI)
    if scan:
        version_scan(result.version.pk)  # now, rather than waiting for the worker
        result.version.refresh_from_db()
    return result.version


def _approve(version, reviewer) -> Version:
    version_submit(version=version, actor=version.uploaded_by, notes="Test account below.", test_account="demo/1234")
    version.refresh_from_db()
    return version_transition(version, to=S.APPROVED, actor=reviewer, action="approve")


def _program(demo, name, categories, **fields) -> MiniProgram | None:
    if MiniProgram.objects.filter(name=name, deleted_at=None).exists():
        return None  # loaded before: leave it as it is
    program = program_create(org=demo.orgs["studio"], actor=demo.users["developer"], name=name,
                             categories=list(Category.objects.filter(code__in=categories)), **fields)
    program_set_logo(program=program, actor=demo.users["developer"], data=_logo(len(name)))
    # The sample packages ask for the user's location; the declaration says why.
    program_set_privacy_declaration(program=program, actor=demo.users["developer"], items={
        "location": "Show the stations and stores nearest to you."})
    return program


def _city_bikes(demo) -> None:
    program = _program(demo, "City Bikes", ["travel", "life-services"], slogan="Ride across town",
                       description="Find a bike, unlock it, ride.", privacy_policy_url="https://citybikes.example.com/privacy",
                       domains=DOMAINS)
    if program is None:
        return
    dev, reviewer = demo.users["developer"], demo.users["reviewer"]
    for number in ("1.0.0", "1.1.0", "1.2.0"):
        version_release(version=_approve(_upload(program, dev, number), reviewer), actor=dev)
    program_rollback(program=program, target=program.versions.get(version="1.1.0"), actor=dev)
    version_release(version=_approve(_upload(program, dev, "1.3.0"), reviewer), actor=dev, percentage=20)
    version_set_trial(version=_upload(program, dev, "1.4.0"), actor=dev)
    _upload(program, dev, "1.5.0", code='eval("1+1");\nmy.request({url: "http://198.51.100.7/api"});\n',
            description="Experimental build")


# What Lucky Draw 2.0.0 adds, so that the reviewer's code viewer has a content diff to show: a prize loader
# the scanner warns about, a new file using the camera (a new permission) and a new domain.
PRIZE_WHEEL = {
    "code": "\nfunction loadPrize(tier) {\n  return require('./prizes/' + tier);\n}\n",
    "files": {"utils/wheel.js": (
        "// The prize wheel: scan the code on a prize stand, then fetch what it unlocks.\n"
        "export function scanStand(done) {\n"
        "  const camera = my.createCameraContext();\n"
        "  camera.takePhoto({\n"
        "    success(photo) {\n"
        "      my.request({url: 'https://cdn.example.com/prizes', data: photo, success: done});\n"
        "    },\n"
        "  });\n"
        "}\n")},
    "app_json": {"permission": {"scope.userLocation": {"desc": "Shows the stores near you."},
                                "scope.camera": {"desc": "Scans the code on a prize stand."}}},
}


def _lucky_draw(demo) -> None:
    program = _program(demo, "Lucky Draw", ["entertainment"], slogan="Spin and win",
                       description="Spin the prize wheel once a day and share what you won.",
                       privacy_policy_url="https://luckydraw.example.com/privacy", domains=DOMAINS)
    if program is None:
        return
    dev, reviewer = demo.users["developer"], demo.users["reviewer"]
    version_release(version=_approve(_upload(program, dev, "1.0.0"), reviewer), actor=dev)
    # 2.0.0 scans prize stands with the camera: the declaration says so before the upload.
    program_set_privacy_declaration(program=program, actor=dev, items={
        "location": "Show the stations and stores nearest to you.", "camera": "Scan the code on a prize stand."})
    waiting = _upload(program, dev, "2.0.0", description="New prize wheel and share cards", **PRIZE_WHEEL)
    version_submit(version=waiting, actor=dev, notes="The prize wheel is behind the 'Spin' tab.",
                   test_account="reviewer / spin-2026")


def _street_food(demo) -> None:
    program = _program(demo, "Street Food", ["food-delivery"], slogan="Hot food, fast",
                       description="Order from the street food stalls near you.",
                       privacy_policy_url="https://streetfood.example.com/privacy", domains=DOMAINS)
    if program is None:
        return
    dev, reviewer = demo.users["developer"], demo.users["reviewer"]
    rejected = _upload(program, dev, "0.9.0")
    version_submit(version=rejected, actor=dev)
    rejected.refresh_from_db()
    version_transition(rejected, to=S.REJECTED, actor=reviewer, action="reject")
    version_submit(version=_upload(program, dev, "1.0.0"), actor=dev, expedited=True,
                   notes="Fixed the menu prices the reviewer pointed out.")


def _clinic(demo) -> None:
    program = _program(demo, "Clinic Booking", ["medical"], slogan="See a doctor today",
                       description="Book an appointment with a clinic near you.",
                       privacy_policy_url="https://clinic.example.com/privacy", domains=DOMAINS)
    if program is not None:
        # Left for the worker: `make run` starts it, and it scans this one first.
        _upload(program, demo.users["developer"], "0.1.0", scan=False)


def load(demo) -> None:
    _city_bikes(demo)
    _lucky_draw(demo)
    _street_food(demo)
    _clinic(demo)
    demo.lines.append("Demo programs: City Bikes (every release state), Lucky Draw and Street Food (in review), "
                      "Clinic Booking (waiting for the worker's scan).")
