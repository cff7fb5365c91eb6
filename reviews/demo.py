"""Demo data for reviewers: versions waiting in the queue with a diff worth reading, past decisions, a thread.

Runs after programs' demo (INSTALLED_APPS order) and only adds programs of its own, by name, so that it
never collides with what programs' demo creates; each scenario is skipped when its program exists
(idempotent). As in programs' demo, every version is a real package uploaded and scanned (its findings,
permissions, domains and risk come from what the package contains), and everything else goes through the
real services (submit, decide, release, messages) at the moment it happened (`demo.ago`): the queue's
waiting and overdue versions have the due dates the submission itself computed.
"""

from console.models import Organisation
from console.services import organisation_create, organisation_set_verified
from programs.demo import approve, submit, upload
from programs.models import Category, MiniProgram, Version
from programs.releases import version_release
from programs.services import program_create, program_set_privacy_declaration, program_update
from reviews.services import review_message_post, review_reject, review_request_changes

S = Version.Status


def _server(url: str) -> dict[str, list[str]]:
    """An allowlist where the sample package's requests, uploads and downloads all go to `url`."""
    return {"request": [url], "upload": [url], "download": [url]}


def _categories(*codes) -> list[Category]:
    return list(Category.objects.filter(code__in=codes))


def _exists(name: str) -> bool:
    return MiniProgram.objects.filter(name=name, deleted_at=None).exists()


def _riverside(demo) -> Organisation:
    org = Organisation.objects.filter(slug="riverside-labs").first()
    if org is None:
        with demo.ago(days=40):
            org = organisation_create(user=demo.users["outsider"], name="Riverside Labs",
                                      kind=Organisation.Kind.ENTERPRISE)
            Organisation.objects.filter(pk=org.pk).update(slug="riverside-labs")
            org.refresh_from_db()
            organisation_set_verified(org=org, actor=demo.users["admin"], verified=True)
    return org


TEA_API = "https://api.teatimer.example.com"
# Tea Timer 1.1.0's shop finder: a new page, the user's location (a new permission) and a maps server (a new
# domain); app.json also asks for the camera, which no code uses (the scanner's privacy.unused notice).
SHOP_FINDER = {
    "location": True,
    "app_json": {
        "pages": ["pages/index/index", "pages/profile/profile", "pages/shops/shops"],
        "permission": {"scope.userLocation": {"desc": "Finds the tea shops near you."},
                       "scope.camera": {"desc": "Scans a shop's loyalty card."}},
    },
    "files": {
        "pages/shops/shops.axml": '<view class="page">\n  <view a:for="{{shops}}">{{item.name}}</view>\n</view>\n',
        "pages/shops/shops.acss": ".page { padding: 16px; }\n",
        "pages/shops/shops.json": '{"usingComponents": {}, "defaultTitle": "Tea shops"}',
        "pages/shops/shops.js": (
            "// The shop finder: asks for the location once, on this page only.\n"
            "Page({\n"
            "  data: { shops: [] },\n"
            "  onLoad() {\n"
            "    my.getLocation({\n"
            "      success: (where) => my.request({\n"
            "        url: 'https://maps.example.net/v2/nearby?kind=tea',\n"
            "        data: { lat: where.latitude, lng: where.longitude },\n"
            "        success: (res) => this.setData({ shops: res.data.shops }),\n"
            "      }),\n"
            "    });\n"
            "  },\n"
            "});\n"),
    },
}


def _tea_timer(demo, org) -> None:
    """An update with a new permission, a new domain and a new category: the diff has something to say."""
    owner, reviewer = demo.users["outsider"], demo.users["reviewer"]
    with demo.ago(days=22):
        program = program_create(org=org, actor=owner, name="Tea Timer", categories=_categories("tools"),
                                 slogan="Steep it right", description="Timers for every kind of tea.",
                                 privacy_policy_url="https://teatimer.example.com/privacy", domains=_server(TEA_API))
    with demo.ago(days=21):
        first = submit(upload(program, owner, "1.0.0", description="First release", api=TEA_API, socket=None,
                              location=False), notes="Nothing to log in to.", test_account="")
    with demo.ago(days=20):
        version_release(version=approve(first, reviewer, text="Clean and simple."), actor=owner)
    with demo.ago(hours=4):
        program_update(program=program, actor=owner, categories=_categories("tools", "life-services"),
                       domains={"request": [TEA_API, "https://maps.example.net"]})
        program_set_privacy_declaration(program=program, actor=owner, items={
            "location": "Find the tea shops near you."})
    with demo.ago(hours=3):
        update = upload(program, owner, "1.1.0", description="Find tea shops near you", api=TEA_API, socket=None,
                        **SHOP_FINDER)
        submit(update, expedited=True, test_account="demo / tea-1234",
               notes="The shop finder asks for the location once, on its own page.")


NIGHT_MARKET_API = "https://api.nightmarket.example.com"


def _vendor_sdk() -> str:
    """A payment partner's SDK as shipped: one minified line that also talks to tracking and ad servers."""
    helpers = ";".join(f"function _0x{index:04x}(a,b){{return a[b]^{index}}}" for index in range(0x40, 0x240))
    calls = ("my.request({url:'https://track.example.io/v1/e',method:'POST'});"
             "my.request({url:'https://ads.example.biz/slot?s=1'});"
             "my.downloadFile({url:'https://cdn.example.org/sdk/banner.png'});"
             "my.downloadFile({url:'https://img.example.org/ad/1.jpg'});")
    return "!function(){" + helpers + ";" + calls + "}();\n"


def _night_market(demo, org) -> None:
    """A first release, overdue, with a high risk score: an obfuscated SDK, five servers, location and phone."""
    owner = demo.users["outsider"]
    with demo.ago(days=8):
        program = program_create(
            org=org, actor=owner, name="Night Market", categories=_categories("life-services"),
            slogan="Street food after dark", description="Find the night market's stalls and pay.",
            privacy_policy_url="https://nightmarket.example.com/privacy",
            domains={"request": [NIGHT_MARKET_API, "https://track.example.io", "https://ads.example.biz"],
                     "upload": [NIGHT_MARKET_API], "download": [NIGHT_MARKET_API, "https://cdn.example.org"]})
        program_set_privacy_declaration(program=program, actor=owner, items={
            "location": "Show the stalls near you.", "phone_number": "Sign in to pay at a stall."})
    with demo.ago(days=6):
        version = upload(program, owner, "0.9.0", description="First public version", api=NIGHT_MARKET_API,
                         socket=None, files={
                             "vendor/sdk.min.js": _vendor_sdk(),
                             "pages/index/index.axml": (
                                 '<view class="page">\n  <button open-type="getAuthorize" scope="phoneNumber" '
                                 'onGetAuthorize="signIn">Sign in to pay</button>\n</view>\n')})
        submit(version, notes="The vendor SDK is our payment partner's.", test_account="")


FERRY_API = "https://api.ferry.example.com"


def _harbour_ferry(demo, org) -> None:
    """A program with a rejected version and a thread; its next version was asked for changes and answered."""
    owner, reviewer = demo.users["developer"], demo.users["reviewer"]
    ferry = {"api": FERRY_API, "socket": None, "location": False}
    with demo.ago(days=6):
        program = program_create(org=org, actor=owner, name="Harbour Ferry", categories=_categories("travel"),
                                 slogan="Tickets and timetables", description="Ferry tickets and timetables.",
                                 domains=_server(FERRY_API), privacy_policy_url="https://ferry.example.com/privacy")
    with demo.ago(days=5):
        rejected = submit(upload(program, owner, "1.0.0", description="Timetables", **ferry), test_account="")
    with demo.ago(days=4):
        review_reject(version=rejected, reviewer=reviewer, reasons=["test-account-missing", "unstable"],
                      text="The timetable page stays blank and we could not log in to buy a ticket.")
        review_message_post(version=rejected, author=owner, body="Sorry: the API was down that day. Fixed in 1.0.1.")
    with demo.ago(days=3):
        tickets = {"pages/tickets/tickets.js": "Page({ data: { tickets: [] } });\n"}
        version = submit(upload(program, owner, "1.0.1", description="Ticket fixes", files=tickets, **ferry),
                         test_account="ferry-demo / sea-2025")
    with demo.ago(days=2):
        review_request_changes(version=version, reviewer=reviewer, text="Which payment provider takes the ticket money?")
    with demo.ago(days=1):
        review_message_post(version=version, author=owner, body="Alipay only, through the official payment API.")


METRO_API = "https://api.metro.example.com"


def _metro_card(demo, org) -> None:
    """Waiting for its developer's answer: out of the queue."""
    owner, reviewer = demo.users["outsider"], demo.users["reviewer"]
    with demo.ago(days=4):
        program = program_create(org=org, actor=owner, name="Metro Card", categories=_categories("travel"),
                                 description="Top up the metro card and see the trips made.",
                                 privacy_policy_url="https://metro.example.com/privacy", domains=_server(METRO_API))
    with demo.ago(days=3):
        version = submit(upload(program, owner, "2.0.0", description="Top up by NFC", api=METRO_API, socket=None,
                                location=False), test_account="")
    with demo.ago(days=1):
        review_request_changes(version=version, reviewer=reviewer, text="Please add a test card number we can top up.")


def load(demo) -> None:
    riverside = _riverside(demo)
    studio, other = demo.orgs["studio"], demo.orgs["other"]
    for name, build, org in [("Tea Timer", _tea_timer, riverside), ("Night Market", _night_market, other),
                             ("Harbour Ferry", _harbour_ferry, studio), ("Metro Card", _metro_card, other)]:
        if not _exists(name):
            build(demo, org)
    demo.orgs["riverside"] = riverside
    waiting = Version.objects.filter(status=S.IN_REVIEW, awaiting_developer=False).count()
    demo.lines.append(f"Review queue: {waiting} versions waiting (sign in as reviewer@example.com)")
