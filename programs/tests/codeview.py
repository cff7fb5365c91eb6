"""Builders for the code viewer tests: programs with a released version and a version in review, each a
real package stored and scanned (the viewer reads members from storage through the scan's manifest)."""

import hashlib
import random
import string

from django.utils import timezone

from programs.models import Version
from programs.samples import build_package, package_files, zip_files
from programs.scanning import scan_package
from programs.scans import scan_config_for
from programs.tests.factories import VersionFactory, scannable_program

S = Version.Status
# A dynamic require at a known line of app.js: the scanner reports code.dynamic_load there.
RISKY_CODE = "\nfunction loadPrize(tier) {\n  return require('./prizes/' + tier);\n}\n"
# A new file that uses the camera (a permission NEW_APP_JSON declares) and a new domain (on the allowlist's
# registrable domain, so the scan passes).
NEARBY_JS = """\
// Prizes near the user: scan the QR code on the stand, then fetch what it unlocks.
export function scanStand(done) {
  const camera = my.createCameraContext();
  camera.takePhoto({
    success(photo) {
      my.request({url: "https://cdn.example.com/prizes", data: photo, success: done});
    },
  });
}
"""
NEW_APP_JSON = {"permission": {"scope.userLocation": {"desc": "Shows the stores near you."},
                               "scope.camera": {"desc": "Scans the QR code on a prize stand."}}}


def minified_js(size: int, seed: int = 7) -> str:
    """About `size` characters of minified JavaScript on one line."""
    rng = random.Random(seed)
    parts, total = [], 0
    while total < size:
        name = "".join(rng.choices(string.ascii_lowercase, k=3))
        part = f'var {name}{rng.randint(0, 999)}=function(b,c){{return b+c*{rng.randint(0, 99)}}};' \
               f'if(x&&y){{z="s{rng.randint(0, 9)}"}}else{{q=/r{rng.randint(0, 9)}/g.test(s)}}'
        parts.append(part)
        total += len(part)
    return "".join(parts)


def stored_version(program, number: str, data: bytes, *, status=S.READY, submitted=False, **fields) -> Version:
    """A version whose package is `data`, scanned now with the program's config."""
    version = VersionFactory(program=program, version=number, status=status, package_bytes=data,
                             package_sha256=hashlib.sha256(data).hexdigest(), **fields)
    version.scan_report = scan_package(data, config=scan_config_for(version)).to_dict()
    if submitted:
        version.submitted_at = timezone.now()
    version.save()
    return version


def program_with_release(org, *, new_files: dict | None = None, code: str = RISKY_CODE, released_code: str = "",
                         app_json: dict | None = None):
    """(program, released 1.0.0, 1.1.0 in review) where 1.1.0 adds `code` to app.js, `new_files` (default:
    utils/nearby.js, using location and a new domain) and `app_json` (default: the location permission)."""
    program = scannable_program(org, name="Code Viewer Demo")
    released = stored_version(program, "1.0.0", build_package("alipay", code=released_code), status=S.RELEASED,
                              submitted=True, released_at=timezone.now())
    new_files = {"utils/nearby.js": NEARBY_JS} if new_files is None else new_files
    files = package_files("alipay", code=code, files=new_files, app_json=NEW_APP_JSON if app_json is None else app_json)
    review = stored_version(program, "1.1.0", zip_files(files), status=S.IN_REVIEW, submitted=True)
    return program, released, review
