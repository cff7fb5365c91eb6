"""In Chromium: a member downloads a package from the version page; a named tester downloads the trial's
package from the trial page, which shows no hash; a stranger who knows the URL gets nothing."""

import pytest
from playwright.sync_api import expect

from console.tests.factories import UserFactory
from programs import releases
from programs.models import TrialTester, Version
from programs.tests.factories import MiniProgramFactory, VersionFactory
from programs.tests.test_browser_programs import sign_in

pytestmark = pytest.mark.browser
DATA = b"PK\x03\x04 the package bytes"


def test_member_and_tester_download_packages_a_stranger_cannot(page, new_page, screenshot, live_server, owner, org):
    program = MiniProgramFactory(organisation=org, name="City Bikes")
    version = VersionFactory(program=program, version="1.4.0", status=Version.Status.READY, package_bytes=DATA)
    releases.version_set_trial(version=version, actor=owner)
    TrialTester.objects.create(program=program, email="tess@example.com")
    UserFactory(email="tess@example.com")
    UserFactory(email="stranger@example.com")

    sign_in(page, owner.email)
    page.goto(f"/orgs/{org.slug}/programs/{program.appid}/versions/1.4.0/")
    screenshot(page, "version-page")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download package").click()
    assert download.value.suggested_filename == f"{program.appid}-1.4.0.zip"
    assert open(download.value.path(), "rb").read() == DATA

    tester = new_page()
    sign_in(tester, "tess@example.com")
    tester.goto(f"/trial/{program.appid}/")
    expect(tester.get_by_text(version.package_sha256[:12])).to_have_count(0)
    screenshot(tester, "trial-page")
    with tester.expect_download() as download:
        tester.get_by_role("link", name="Download package").click()
    assert open(download.value.path(), "rb").read() == DATA

    stranger = new_page()
    sign_in(stranger, "stranger@example.com")
    response = stranger.goto(f"/packages/{program.appid}/1.4.0/")
    assert response.status == 404
    assert stranger.goto(f"/media/packages/{program.appid}/{version.package_sha256}.zip").status == 404
