"""Demo programs with versions in every lifecycle state (see console/demo.py for the people and the clock).

Every version is a real package (programs.samples) uploaded through version_upload and scanned by the
real scanner, and every submission, decision and release goes through the services a user's click
goes through, at the moment it happened (`demo.ago`). So a version's size, scan report, risk score,
history, audit events and notifications are what the product itself wrote, and cannot disagree.
The helpers here (`upload`, `submit`, `approve`) are shared by the other apps' demo loaders.
"""

import hashlib

from django.core.files.uploadedfile import SimpleUploadedFile

from programs.models import Category, MiniProgram, Version
from programs.releases import program_rollback, version_release, version_set_trial, version_submit
from programs.samples import build_package
from programs.scans import version_scan
from programs.services import program_create, program_set_logo, program_set_privacy_declaration, version_upload
from reviews.services import review_approve, review_reject

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


# ---------------------------------------------------------------- shared with the other apps' demos


def package(number: str, *, code: str = "", **options) -> SimpleUploadedFile:
    """A real package (programs.samples.package_files options), its build number in app.js so each differs."""
    data = build_package("alipay", code=f"\n// build {number}\n{code}", **options)
    upload = SimpleUploadedFile(f"{number}.zip", data, content_type="application/zip")
    upload.sha256 = hashlib.sha256(data).hexdigest()
    return upload


def upload(program, actor, number, *, scan=True, description="", **package_options) -> Version:
    """Upload as the CLI does and, unless `scan=False`, scan now (the worker's task, run in-process)."""
    result = version_upload(program=program, actor=actor, version=number, package=package(number, **package_options),
                            description=description or f"Release {number}", method=Version.UploadMethod.CLI)
    if scan:
        version_scan(result.version.pk)
        result.version.refresh_from_db()
    return result.version


def submit(version, *, notes="Test account below.", test_account="demo/1234", expedited=False) -> Version:
    return version_submit(version=version, actor=version.uploaded_by, notes=notes, test_account=test_account,
                          expedited=expedited)


def approve(version, reviewer, text="") -> Version:
    """A reviewer's approval: the decision the review page shows in the program's history, and its notification."""
    review_approve(version=version, reviewer=reviewer, text=text)
    version.refresh_from_db()
    return version


# ---------------------------------------------------------------- the studio's programs


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


def _reviewed_release(demo, program, number, *, submitted_ago: int, description="", percentage=None) -> Version:
    """Upload and submit `submitted_ago` days back, approved and released a day later."""
    dev, reviewer = demo.users["developer"], demo.users["reviewer"]
    with demo.ago(days=submitted_ago):
        version = submit(upload(program, dev, number, description=description))
    with demo.ago(days=submitted_ago - 1):
        return version_release(version=approve(version, reviewer), actor=dev, percentage=percentage)


def _city_bikes(demo) -> None:
    with demo.ago(days=34):
        program = _program(demo, "City Bikes", ["travel", "life-services"], slogan="Ride across town",
                           description="Find a bike, unlock it, ride.",
                           privacy_policy_url="https://citybikes.example.com/privacy", domains=DOMAINS)
    if program is None:
        return
    dev = demo.users["developer"]
    _reviewed_release(demo, program, "1.0.0", submitted_ago=33, description="First release")
    _reviewed_release(demo, program, "1.1.0", submitted_ago=24, description="Station map")
    _reviewed_release(demo, program, "1.2.0", submitted_ago=15, description="Ride history")
    with demo.ago(days=13):  # 1.2.0 went back: the developer rolled back to 1.1.0
        program_rollback(program=program, target=program.versions.get(version="1.1.0"), actor=dev)
    _reviewed_release(demo, program, "1.3.0", submitted_ago=7, description="Ride history, fixed", percentage=20)
    with demo.ago(days=3):
        version_set_trial(version=upload(program, dev, "1.4.0", description="Monthly passes"), actor=dev)
    with demo.ago(days=1):  # the scanner refuses it: eval, plain http to an IP address
        upload(program, dev, "1.5.0", code='eval("1+1");\nmy.request({url: "http://198.51.100.7/api"});\n',
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
    with demo.ago(days=28):
        program = _program(demo, "Lucky Draw", ["entertainment"], slogan="Spin and win",
                           description="Spin the prize wheel once a day and share what you won.",
                           privacy_policy_url="https://luckydraw.example.com/privacy", domains=DOMAINS)
    if program is None:
        return
    dev = demo.users["developer"]
    _reviewed_release(demo, program, "1.0.0", submitted_ago=27, description="First release")
    with demo.ago(days=1):
        # 2.0.0 scans prize stands with the camera: the declaration says so before the upload.
        program_set_privacy_declaration(program=program, actor=dev, items={
            "location": "Show the prize stands nearest to you.", "camera": "Scan the code on a prize stand."})
        waiting = upload(program, dev, "2.0.0", description="New prize wheel and share cards", **PRIZE_WHEEL)
        submit(waiting, notes="The prize wheel is behind the 'Spin' tab.", test_account="reviewer / spin-2026")


def _street_food(demo) -> None:
    with demo.ago(days=12):
        program = _program(demo, "Street Food", ["food-delivery"], slogan="Hot food, fast",
                           description="Order from the street food stalls near you.",
                           privacy_policy_url="https://streetfood.example.com/privacy", domains=DOMAINS)
    if program is None:
        return
    dev, reviewer = demo.users["developer"], demo.users["reviewer"]
    with demo.ago(days=10):
        rejected = submit(upload(program, dev, "0.9.0", description="Menus and ordering"))
    with demo.ago(days=9):
        review_reject(version=rejected, reviewer=reviewer, reasons=["misleading-description"],
                      text="The menu prices on the stall pages differ from the checkout total.")
    with demo.ago(hours=5):
        submit(upload(program, dev, "1.0.0", description="Prices fixed"), expedited=True,
               notes="Fixed the menu prices the reviewer pointed out.")


def _parking_spot(demo) -> None:
    """Approved yesterday, not released yet: the developer chooses when."""
    with demo.ago(days=5):
        program = _program(demo, "Parking Spot", ["travel"], slogan="Park near where you go",
                           description="Find a free parking space and pay for it by the minute.",
                           privacy_policy_url="https://parkingspot.example.com/privacy", domains=DOMAINS)
    if program is None:
        return
    dev, reviewer = demo.users["developer"], demo.users["reviewer"]
    with demo.ago(days=3):
        version = submit(upload(program, dev, "1.0.0", description="First release"))
    with demo.ago(days=1):
        approve(version, reviewer, text="Works well; release it when the car parks are signed up.")


def _clinic(demo) -> None:
    with demo.ago(days=2):
        program = _program(demo, "Clinic Booking", ["medical"], slogan="See a doctor today",
                           description="Book an appointment with a clinic near you.",
                           privacy_policy_url="https://clinic.example.com/privacy", domains=DOMAINS)
    if program is not None:
        # Uploaded as the load ends and left for the worker: `make run` starts it, and it scans this one first.
        upload(program, demo.users["developer"], "0.1.0", scan=False, description="First build")


def load(demo) -> None:
    _city_bikes(demo)
    _lucky_draw(demo)
    _street_food(demo)
    _parking_spot(demo)
    _clinic(demo)
    demo.lines.append("Demo programs: City Bikes (every release state), Lucky Draw and Street Food (in review), "
                      "Parking Spot (approved, not released), Clinic Booking (waiting for the worker's scan).")
