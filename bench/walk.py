"""Walk every page of the console as each demo user, at 1280 px and at 390 px, in English and in Chinese, and on
tablets (768 and 1024 px) in English, with a screenshot of each, and report what a person would find wrong.

    DATABASE_URL=postgres://postgres@127.0.0.1/walk python manage.py migrate
    DATABASE_URL=... python manage.py demo_data                          # on a fresh database
    DATABASE_URL=... DJANGO_SETTINGS_MODULE=bench.walk_settings python manage.py runserver 127.0.0.1:8731 --noreload
    DATABASE_URL=... python bench/walk.py --base-url http://127.0.0.1:8731 [--out /work/wt/walk-shots] [--roles developer,...]

(bench.walk_settings is the console with DEBUG off, so 403/404 are the styled pages, with static files and logos
served by the one process.) Staff codes come from `manage.py demo_totp`, run with DEBUG on against the same
database and var/ folder (the demo authenticators derive from the SECRET_KEY kept there).

Each role signs in once. The crawl starts from the landing page and a few seeds (settings, notifications, error
pages) at 1280 px in English and follows every link of the menus and of each page's content, but visits each
*kind* of page once: `/orgs/<slug>/programs/<appid>/versions/<version>/` is one kind whatever the slug, AppID
and version, so the first program of a list stands for all of them. The pages found are then visited again at
390 px and on the two tablets, and at both main sizes in Chinese (the account's language is switched through
the language form).

On every page it records the HTTP status and looks for:
- horizontal overflow (document.scrollWidth wider than the viewport): a failure on phones and tablets;
- on tablets, tables that scroll inside their card (on a phone they may: their buttons stay reachable);
- buttons whose label is cut off, images that did not load, pages without the console's stylesheet;
- raw codes (`scan_failed`, `version.submit`), Python reprs (`None`, `{'`), "1 errors"-style plurals;
- on Chinese pages, runs of English words outside code, AppIDs and user content (printed for a person to
  judge: names of programs and organisations are the users' own);
- what axe-core finds against WCAG 2.1 A and AA and its best practices (the tests' walk fails on any of it).
It exits 1 when a page overflows on a phone or a tablet, answers 5xx, or an expected page answers otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urljoin, urlsplit

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "demo-pass-123"
ROLES = {
    "developer": "developer@example.com",
    "reviewer": "reviewer@example.com",
    "operator": "operator@example.com",
    "admin": "admin@example.com",
}
STAFF = {"reviewer", "operator", "admin"}
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}  # the sidebar folds into the ☰ menu up to 1,000 px
TABLET_LANDSCAPE = {"width": 1024, "height": 768}  # the sidebar beside a page of some 740 px
VARIANTS = [("desktop", DESKTOP, "en"), ("phone", PHONE, "en"), ("desktop", DESKTOP, "zh-hans"), ("phone", PHONE, "zh-hans"),
            ("tablet", TABLET, "en"), ("tablet-landscape", TABLET_LANDSCAPE, "en")]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
MAX_PAGES_PER_ROLE = 90

# Pages every signed-in person can open besides what the menus link to, and the error pages.
SEEDS = ["/", "/notifications/", "/accounts/two-factor/", "/accounts/password/",
         "/orgs/new/", "/docs/findings/", "/reviews/", "/distribution/queue/"]
ERROR_SEEDS = {"/orgs/no-such-org/": 404, "/no/such/page/": 404}
ANONYMOUS = ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/orgs/no-such-org/"]

# Not pages: downloads, raw files, images, feeds, framework UIs, sign-out, forms' POST targets.
SKIP = re.compile(
    r"^/(static|media|api/(?!docs/$)|admin/.+|metrics|healthz)|/(raw|qr\.png|logout|language)/?$|\.(csv|png|zip|json)$"
    r"|^/packages/|/evidence/\d+/$|/qualifications/\d+/$|/(withdraw|claim|decide|release|rollback|toggle|delete"
    r"|secret|ping|redeliver|revoke|remove|role|read-all|cancel|raise|submit|trial|answer|messages|next)/$"
)
SHAPES = [
    (re.compile(r"^(/orgs/)[^/]+"), r"\1{org}"),
    (re.compile(r"/\d{16}(?=/|$)"), "/{appid}"),
    (re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=/|$)"), "/{uuid}"),
    (re.compile(r"/\d+\.\d+\.\d+[^/]*(?=/|$)"), "/{version}"),
    (re.compile(r"/\d+(?=/|$)"), "/{id}"),
    (re.compile(r"(/request/)[^/]+"), r"\1{scene}"),
    (re.compile(r"(/hosts/)[^/]+"), r"\1{host}"),
    (re.compile(r"(/invitations/|/verify/)[^/]+"), r"\1{token}"),
]

CHECKS_JS = r"""() => {
  const skip = 'code, pre, kbd, samp, script, style, textarea, select, .mono, .appid, [translate=no], svg, .program-name,'
    + ' .user-content, .logo, .demo-logins, .swagger-ui';
  const visible = e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, parent = node.parentElement;
    const text = node.textContent.replace(/\s+/g, ' ').trim();
    if (!text || !parent || parent.closest(skip) || !visible(parent)) continue;
    texts.push(text);
  }
  const attributes = [];
  for (const e of document.querySelectorAll('[placeholder], [aria-label]')) {
    if (e.closest(skip)) continue;
    for (const a of ['placeholder', 'aria-label']) if (e.getAttribute(a)) attributes.push(e.getAttribute(a));
  }
  const vw = window.innerWidth;
  const cut = [...document.querySelectorAll('.btn, button, .badge, .tabs a, nav a')].filter(visible).filter(e =>
    e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== 'visible'
    || e.getBoundingClientRect().right > vw + 1 && !e.closest('.table-wrap, .sidebar, pre, .scroll-x'))
    .slice(0, 6).map(e => e.tagName + '.' + e.className + ': ' + e.textContent.trim().slice(0, 40));
  const broken = [...document.images].filter(i => i.complete && i.naturalWidth === 0).map(i => i.src).slice(0, 4);
  const styled = [...document.styleSheets].some(s => { try { return s.cssRules.length > 0 } catch (e) { return true } });
  const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > vw + 1
    && e.parentElement.getBoundingClientRect().right <= vw + 1).slice(0, 6)
    .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
  const scrolling = [...document.querySelectorAll('.table-wrap')].filter(w => w.scrollWidth > w.clientWidth + 1)
    .map(w => (w.querySelector('table') || w).className + ' ' + w.scrollWidth + ' > ' + w.clientWidth);
  return {texts, attributes, cut, broken, styled, wide, scrolling, overflow: document.documentElement.scrollWidth - vw,
          title: document.title, lang: document.documentElement.lang};
}"""

RAW_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b|\b[a-z]+\.[a-z]+_[a-z_]+\b")
REPR = re.compile(r"(^|\s)(None|True|False)[.,;]?$|\{'|\['|<QuerySet|object at 0x|<bound method|\bnan\b")
BAD_PLURAL = re.compile(r"(?<![\d.,])\b1 (?!ms\b|s\b)[A-Za-z]+s\b|\b(?:[02-9]|\d{2,}) (?:error|warning|item|version|file|program|member|event|request)\b(?!s)")
ENGLISH = re.compile(r"[A-Za-z][a-z]+(?:[ -][A-Za-z][a-z]+)+|\b[a-z]{4,}\b")
# Words a Chinese page may show in Latin letters: product and host names, protocols, units, codes.
LATIN_OK = re.compile(
    r"^(AppID|API|APIs|CSV|JSON|HTTP|HTTPS|URL|URLs|TOTP|QR|ID|CI|REST|SDK|OpenAPI|Swagger|Webhook|Alipay|Weibo|Taobao|"
    r"Amap|UC|UC Browser|WeChat|Demo Studio|Demo|Django|PostgreSQL|Redis|Celery|SHA-256|HMAC|mpk|hk|hs|ms|KB|MB|GB|"
    r"px|utc|UTC|example\.com|Chromium|Mini-program console)$"
)


def shape_of(path: str) -> str:
    for pattern, replacement in SHAPES:
        path = pattern.sub(replacement, path)
    return path


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.{}-]+", "-", text).strip("-").replace("{", "").replace("}", "") or "root"


def totp_code(email: str) -> str:
    env = {**os.environ, "DEBUG": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = subprocess.run([sys.executable, "manage.py", "demo_totp", email], cwd=REPO, env=env, check=True,
                         capture_output=True, text=True).stdout
    return re.search(rf"{re.escape(email)}: (\d+)", out).group(1)


def sign_in(page, role: str) -> None:
    email = ROLES[role]
    page.goto("/accounts/login/")
    page.locator("input[name=username], input[type=email]").first.fill(email)
    page.locator("input[type=password]").first.fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    if role not in STAFF:
        return
    for _attempt in range(2):
        page.locator("main form input[name=code]").first.fill(totp_code(email))
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()
        if "/two-factor/verify" not in page.url:
            return
        time.sleep(31 - time.time() % 30)  # the code of this window was used already: take the next one
    raise RuntimeError(f"{email}: two-factor sign-in refused")


def set_language(page, language: str) -> None:
    """Post the language switch like the topbar's form does (it is saved on the account)."""
    token = page.evaluate("() => document.querySelector('input[name=csrfmiddlewaretoken]')?.value "
                          "|| (document.cookie.match(/csrftoken=([^;]+)/) || [])[1]")
    page.request.post("/accounts/language/", form={"language": language, "next": "/"},
                      headers={"X-CSRFToken": token or "", "Referer": page.url})


def links_on(page) -> list[str]:
    return page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))")


AXE_OPTIONS = {"resultTypes": ["violations"],
               "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}


def accessibility_problems(page) -> list[str]:
    """What axe-core (as axe-playwright-python bundles it: no download) finds on the page: its rule, how much it
    matters and the first elements it found."""
    from axe_playwright_python.sync_playwright import Axe

    return [f"{v['id']} ({v['impact']}): {v['help']}: {', '.join(str(n['target']) for n in v['nodes'][:3])}"
            for v in Axe().run(page, options=AXE_OPTIONS).response["violations"]]


class Walk:
    def __init__(self, base_url: str, out: Path):
        self.base = base_url.rstrip("/")
        self.out = out
        self.pages = 0
        self.failures: list[str] = []
        self.findings: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
        self.statuses: list[tuple] = []

    def check(self, page, role, variant, language, path, status, shot):
        result = page.evaluate(CHECKS_JS)
        where = f"{role} {variant} {language} {path}"
        if status >= 500:
            self.failures.append(f"{where}: HTTP {status}")
        if variant != "desktop" and result["overflow"] > 0:
            self.failures.append(f"{where}: {result['overflow']} px wider than the {variant}: {result['wide']}")
        if variant.startswith("tablet"):
            for table in result["scrolling"]:
                self.findings["table scrolls in its card on a tablet"][f"{path} {table}"].add(str(shot))
        for label, items in (("cut off", result["cut"]), ("broken image", result["broken"])):
            for item in items:
                self.findings[label][item].add(str(shot))
        if not result["styled"]:
            self.findings["unstyled"][path].add(str(shot))
        for problem in accessibility_problems(page):
            self.findings["accessibility (axe-core)"][problem].add(str(shot))
        for text in result["texts"]:
            for match in RAW_CODE.finditer(text):
                self.findings["raw code"][match.group(0)].add(str(shot))
            if REPR.search(text):
                self.findings["repr"][text[:80]].add(str(shot))
            for match in BAD_PLURAL.finditer(text):
                self.findings["plural"][match.group(0)].add(str(shot))
        if language == "en":
            return
        for text in result["texts"] + result["attributes"]:
            for match in ENGLISH.finditer(text):
                words = match.group(0)
                if not LATIN_OK.match(words) and "@" not in text:
                    self.findings["english on a Chinese page"][words].add(str(shot))

    def visit(self, page, role, variant, language, path, index, expect=None):
        try:
            response = page.goto(path)
        except Exception as exc:  # an empty error response (405) or a download: note it and go on
            self.failures.append(f"{role} {variant} {language} {path}: {str(exc).splitlines()[0]}")
            return 0
        status = response.status if response else 0
        page.wait_for_load_state("networkidle")
        shot = self.out / role / f"{variant}-{language}" / f"{index:02d}-{slug(shape_of(path))}.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        self.pages += 1
        self.statuses.append((role, variant, language, path, status, str(shot)))
        if expect is not None and status != expect:
            self.failures.append(f"{role} {variant} {language} {path}: HTTP {status}, expected {expect}")
        self.check(page, role, variant, language, path, status, shot)
        return status

    def crawl(self, page, role) -> list[tuple[str, int | None]]:
        """Visit every kind of page reachable from the seeds once, at desktop size in English."""
        queue = [*SEEDS]
        seen_shapes: set[str] = set()
        found: list[tuple[str, int | None]] = []
        while queue and len(found) < MAX_PAGES_PER_ROLE:
            path = queue.pop(0)
            shape = shape_of(path.split("?")[0])
            if shape in seen_shapes:
                continue
            seen_shapes.add(shape)
            status = self.visit(page, role, "desktop", "en", path, len(found) + 1)
            landed = urlsplit(page.url)
            landed_path = landed.path + (f"?{landed.query}" if landed.query else "")
            seen_shapes.add(shape_of(landed.path))
            found.append((path, None))
            if status >= 400 or landed.path.startswith("/admin/") or landed.path.startswith("/api/"):
                continue
            for href in links_on(page):
                url = urlsplit(urljoin(self.base + landed_path, href))
                if url.netloc != urlsplit(self.base).netloc or SKIP.search(url.path):
                    continue
                target = url.path + (f"?{url.query}" if url.query else "")
                if shape_of(url.path) not in seen_shapes:
                    queue.append(target)
        for path, expect in ERROR_SEEDS.items():
            self.visit(page, role, "desktop", "en", path, len(found) + 1, expect)
            found.append((path, expect))
        return found

    def run_role(self, browser, role):
        context = browser.new_context(viewport=DESKTOP, locale="en-US", base_url=self.base)
        context.set_default_timeout(20_000)
        page = context.new_page()
        sign_in(page, role)
        set_language(page, "en")
        found = self.crawl(page, role)
        state = context.storage_state()
        context.close()
        for variant, viewport, language in VARIANTS[1:]:
            context = browser.new_context(viewport=viewport, locale="zh-CN" if language != "en" else "en-US",
                                          base_url=self.base, storage_state=state)
            context.set_default_timeout(20_000)
            page = context.new_page()
            page.goto("/accounts/password/")
            set_language(page, language)
            for index, (path, expect) in enumerate(found, start=1):
                self.visit(page, role, variant, language, path, index, expect)
            context.close()
        # Leave the account in English, as the demo data made it.
        context = browser.new_context(base_url=self.base, storage_state=state)
        page = context.new_page()
        page.goto("/accounts/password/")
        set_language(page, "en")
        context.close()
        return found

    def run_anonymous(self, browser):
        for variant, viewport, language in VARIANTS:
            context = browser.new_context(viewport=viewport, locale="zh-CN" if language != "en" else "en-US",
                                          base_url=self.base)
            page = context.new_page()
            for index, path in enumerate(ANONYMOUS, start=1):
                self.visit(page, "anonymous", variant, language, path, index)
            context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8731")
    parser.add_argument("--out", default=str(REPO.parent / "walk-shots"))
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    walk = Walk(args.base_url, Path(args.out))
    started = time.monotonic()
    kinds = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS)
        walk.run_anonymous(browser)
        for role in args.roles.split(","):
            kinds[role] = [path for path, _ in walk.run_role(browser, role)]
        browser.close()
    report = {
        "pages": walk.pages, "seconds": round(time.monotonic() - started), "kinds": kinds,
        "failures": walk.failures,
        "findings": {label: {item: sorted(shots)[:3] for item, shots in items.items()}
                     for label, items in walk.findings.items()},
        "statuses": walk.statuses,
    }
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(f"{walk.pages} pages walked in {report['seconds']} s; screenshots and report.json in {args.out}")
    for role, paths in kinds.items():
        print(f"  {role}: {len(paths)} kinds of page x {len(VARIANTS)} variants")
    for label, items in walk.findings.items():
        print(f"{label}: {len(items)}")
        for item, shots in sorted(items.items())[:40]:
            print(f"  {item!r}  ({len(shots)} pages, e.g. {sorted(shots)[0]})")
    for failure in walk.failures:
        print("FAIL", failure)
    return 1 if walk.failures else 0


if __name__ == "__main__":
    sys.exit(main())
