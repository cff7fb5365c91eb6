"""A small command-line client of the console's REST API, for CI pipelines.

Standard library only and nothing from the project: copy this one file into a pipeline and run it with
any Python 3.11+ (`python cli.py …`), or inside the repository as `python -m programs.cli …`.

    cli.py upload APPID PACKAGE.zip --version 1.2.3 [--description TEXT] [--wait] [--timeout 300]
    cli.py rescan APPID VERSION [--wait] [--timeout 300]     (a failed scan, after changing the program)
    cli.py submit APPID VERSION [--notes TEXT] [--test-account TEXT] [--expedited]
    cli.py status APPID [VERSION] [--json]

`--url` (default $CONSOLE_URL, else http://127.0.0.1:8000) and `--key` (default $CONSOLE_API_KEY, an
organisation API key sent as `Authorization: Bearer <key>`) go before or after the command.

Exit codes: 0 done (with --wait: the scan passed); 1 the scan failed (status scan_failed or errors);
2 the API refused the request (its error message is printed) or did not do what was asked (the same
package exists under another version), bad usage or no key; 3 the console could not be reached, or
--wait timed out; 4 the console asked to retry later (HTTP 429: a rate limit or a lock-out; the message
says when).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    # Run as `python programs/cli.py`, Python puts programs/ first on the path, where programs/selectors.py
    # would stand in for the standard library's `selectors` that http.client needs. Nothing here is imported
    # from beside this file.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import email.utils  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import mimetypes  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402

__version__ = "1.0"

DEFAULT_URL = "http://127.0.0.1:8000"
PENDING = frozenset({"uploaded", "scanning"})  # the scan is not done yet
OK, SCAN_FAILED, API_ERROR, NETWORK_ERROR, RETRY_LATER = 0, 1, 2, 3, 4
CHUNK = 64 * 1024
REQUEST_TIMEOUT = 60  # seconds per HTTP call; uploads get UPLOAD_TIMEOUT
UPLOAD_TIMEOUT = 600


class CliError(Exception):
    """Print `message` (and the API's field errors) to stderr and exit with `exit_code`."""

    def __init__(self, message: str, exit_code: int = API_ERROR, fields: dict | None = None,
                 status: int | None = None):
        super().__init__(message)
        self.message, self.exit_code, self.fields = message, exit_code, fields or {}
        self.status = status  # the HTTP status of the API's refusal, if it was one


# --------------------------------------------------------------------------------------------- HTTP


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would drop the POST body (or send the key elsewhere): surface it as an error instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Client:
    def __init__(self, base_url: str, key: str):
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.opener = urllib.request.build_opener(_NoRedirects)

    def url(self, *parts: str) -> str:
        quoted = "/".join(urllib.parse.quote(p, safe="") for p in parts)
        return f"{self.base_url}/api/v1/{quoted}/"

    def call(self, method: str, url: str, *, body=None, headers: dict | None = None,
             timeout: float = REQUEST_TIMEOUT) -> tuple[int, dict]:
        """Send one request; answer (HTTP status, JSON body). Raises CliError for HTTP and network errors."""
        request = urllib.request.Request(url, data=body, method=method, headers={
            "Authorization": f"Bearer {self.key}", "Accept": "application/json",
            "User-Agent": f"mpconsole-cli/{__version__} (Python urllib)", **(headers or {}),
        })
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, _json(response.read(), response.status, url)
        except urllib.error.HTTPError as error:
            raise _http_error(error) from None
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, (BrokenPipeError, ConnectionResetError)) and body is not None:
                raise CliError(f"The console closed the connection while the request was being sent ({reason}); "
                               "the package may be larger than the organisation's upload limit.",
                               NETWORK_ERROR) from None
            raise CliError(f"Cannot reach the console at {self.base_url}: {reason}", NETWORK_ERROR) from None
        except (OSError, http.client.HTTPException) as error:  # timeouts, resets, garbled answers
            raise CliError(f"Cannot reach the console at {self.base_url}: {error}", NETWORK_ERROR) from None

    def get(self, url: str) -> dict:
        return self.call("GET", url)[1]

    def post_json(self, url: str, data: dict) -> tuple[int, dict]:
        return self.call("POST", url, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"})

    def post_multipart(self, url: str, fields: dict[str, str], file_field: str, path: Path) -> tuple[int, dict]:
        body, length, content_type = multipart_body(fields, file_field, path)
        headers = {"Content-Type": content_type, "Content-Length": str(length)}
        return self.call("POST", url, body=body, headers=headers, timeout=UPLOAD_TIMEOUT)


def _json(raw: bytes, status: int, url: str) -> dict:
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        raise CliError(f"The console answered HTTP {status} with something other than JSON from {url}; "
                       "is --url the console's address?") from None


def _http_error(error: urllib.error.HTTPError) -> CliError:
    if 300 <= error.code < 400:
        location = error.headers.get("Location", "?")
        return CliError(f"HTTP {error.code}: the console redirected to {location}; pass that address as --url.")
    try:
        payload = json.loads(error.read() or b"{}")
        detail = payload["error"]
        message, fields = str(detail.get("message") or error.reason), detail.get("fields") or {}
    except (ValueError, KeyError, TypeError, AttributeError, OSError):
        message, fields = f"{error.reason or 'error'} (not the API's JSON error; is --url the console's address?)", {}
    if error.code == 429:  # a rate limit or a lock-out: the same call will work later, unlike other refusals
        wait = _seconds_until(error.headers.get("Retry-After"))
        when = f" Retry after {wait} seconds{_roughly(wait)}." if wait is not None else ""
        return CliError(f"HTTP 429: {message}{when}", RETRY_LATER, fields, status=429)
    return CliError(f"HTTP {error.code}: {message}", API_ERROR, fields, status=error.code)


def _seconds_until(retry_after: str | None) -> int | None:
    """Retry-After as seconds to wait: it is either a number of seconds or an HTTP date."""
    if not retry_after:
        return None
    if retry_after.strip().isdigit():
        return int(retry_after)
    try:
        when = email.utils.parsedate_to_datetime(retry_after)
    except (TypeError, ValueError):
        return None
    return max(0, round(when.timestamp() - time.time()))


def _roughly(seconds: int) -> str:
    if seconds >= 3600:
        return f" (about {seconds / 3600:.1f} hours)"
    return f" ({round(seconds / 60)} minutes)" if seconds >= 120 else ""


@contextmanager
def naming_what_is_missing(client: Client, appid: str, version: str | None = None):
    """Turn the API's bare 404 into which of the two is missing: the program (to this key) or the version."""
    try:
        yield
    except CliError as error:
        if error.status != 404:
            raise
        if version is not None and _program_visible(client, appid):
            raise CliError(f"HTTP 404: No version {version} of program {appid}; `status {appid}` lists the "
                           "versions there are.", API_ERROR, status=404) from None
        raise CliError(f"HTTP 404: No program {appid} visible to this key (check the AppID, and that the key "
                       "belongs to the program's organisation).", API_ERROR, status=404) from None


def _program_visible(client: Client, appid: str) -> bool:
    try:
        client.get(client.url("programs", appid))
    except CliError as error:
        if error.status == 404:
            return False
        raise
    return True


def multipart_body(fields: dict[str, str], file_field: str, path: Path) -> tuple[Iterator[bytes], int, str]:
    """A multipart/form-data body that streams the file in chunks: (chunks, total length, content type).

    urllib sends an iterable body chunk by chunk when Content-Length is given, so the package is never
    read wholly into memory.
    """
    boundary = f"----mpconsole-{uuid.uuid4().hex}"
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode()
        + value.encode() + b"\r\n"
        for name, value in fields.items()
    )
    file_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(file_field)}"; '
             f'filename="{_quote(path.name)}"\r\nContent-Type: {file_type}\r\n\r\n').encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = path.stat().st_size

    def chunks() -> Iterator[bytes]:
        yield head
        with path.open("rb") as package:
            while block := package.read(CHUNK):
                yield block
        yield tail

    return chunks(), len(head) + size + len(tail), f"multipart/form-data; boundary={boundary}"


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")


# ------------------------------------------------------------------------------------------ output


def finding_line(finding: dict) -> str:
    """`file:line:col: severity [code] message` (missing parts left out, like `manage.py scanpackage`)."""
    parts = (finding.get("file") or "(package)", finding.get("line"), finding.get("column"))
    where = ":".join(str(p) for p in parts if p not in (None, ""))
    return f"{where}: {finding.get('severity')} [{finding.get('code')}] {finding.get('message')}"


def print_report(version: dict, out) -> None:
    report = version.get("report")
    if not report:
        print("No scan report yet.", file=out)
        return
    risk = report.get("risk") or {}
    risk_text = " ".join(str(risk[k]) for k in ("score", "level") if risk.get(k) not in (None, ""))
    counts = ", ".join(plural(report.get(key) or 0, word) for key, word in
                       (("errors", "error"), ("warnings", "warning"), ("notices", "notice")))
    print(f"Scan report: {counts}" + (f", risk {risk_text}" if risk_text else ""), file=out)
    sizes = report.get("sizes") or {}
    if sizes and sizes.get("full") is None:
        print("Sizes: not measured (the archive could not be read)", file=out)
    elif sizes:
        subs = ", ".join(f"{root} {format_size(n)}" for root, n in (sizes.get("subpackages") or {}).items())
        print(f"Sizes: main {format_size(sizes.get('main'))}, full {format_size(sizes.get('full'))}"
              + (f", subpackages: {subs}" if subs else ""), file=out)
    for finding in report.get("findings") or []:
        print(finding_line(finding), file=out)


def print_version(version: dict, out) -> None:
    waiting = " (changes requested: the review waits for your answer, see the version's messages)" \
        if version.get("awaiting_developer") else ""
    trial = " · the trial version" if version.get("is_trial") else ""
    print(f"Version {version.get('version')}: {version.get('status')}{waiting}{trial}", file=out)
    print(f"  url: {version.get('url')}", file=out)
    uploaded = " ".join(str(v) for v in (version.get("created_at"), version.get("uploaded_by")) if v)
    if uploaded:
        print(f"  uploaded: {uploaded} via {version.get('upload_method')}", file=out)
    if version.get("description"):
        print(f"  description: {version['description']}", file=out)
    print(f"  scan: {scan_state(version)}", file=out)
    print_report(version, out)


def scan_state(version: dict) -> str:
    """`queued` until a worker takes the scan, then `40% (code)`, then `done`.

    A version whose status is `uploaded` has its package stored and its scan not started yet (the upload
    answer always says so: the scan is enqueued once that answer's transaction commits); its 0 % is the
    scan's, and shown as a percentage after the word "uploaded" it read as a transfer that had stalled.
    """
    scan = version.get("scan") or {}
    if scan.get("done"):
        return "done"
    if version.get("status") == "uploaded":
        return "queued"
    stage = f" ({scan['stage']})" if scan.get("stage") else ""
    return f"{scan.get('progress') or 0}%{stage}"


def plural(n: int, word: str) -> str:
    """`1 error`, `0 errors`, `2 errors` (the words here take an s)."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def format_size(n) -> str:
    """Sizes as this CLI and `manage.py scanpackage` write them: KB under 1 MB, else MB."""
    if not isinstance(n, (int, float)):
        return "?"
    return f"{n / 1024 / 1024:.2f} MB" if n >= 1024 * 1024 else f"{n / 1024:.1f} KB"


def scan_failed(version: dict) -> bool:
    return version.get("status") == "scan_failed" or bool((version.get("report") or {}).get("errors"))


# ---------------------------------------------------------------------------------------- commands


def wait_for_scan(client: Client, url: str, version: dict, *, timeout: float, interval: float, out) -> dict:
    """Poll the version until its status leaves uploaded/scanning, printing progress as it changes."""
    deadline = time.monotonic() + timeout
    last = None
    while version.get("status") in PENDING:
        state = scan_state(version)
        shown = "queued for scanning" if state == "queued" else f"{version.get('status')} {state}"
        if shown != last:
            print(f"  … {shown}", file=out, flush=True)
            last = shown
        if time.monotonic() >= deadline:
            raise CliError(f"Timed out after {timeout:g}s waiting for the scan of {version.get('version')} "
                           f"(still {version.get('status')}); see `status` later.", NETWORK_ERROR)
        time.sleep(interval)
        version = client.get(url)
    return version


def cmd_upload(client: Client, args, out) -> int:
    path = Path(args.package)
    if not path.is_file():
        raise CliError(f"No such package file: {path}")
    fields = {"version": args.version, "description": args.description or "", "method": "cli"}
    with naming_what_is_missing(client, args.appid):
        status, version = client.post_multipart(client.url("programs", args.appid, "versions"), fields, "package",
                                                path)
    asked = args.version.strip()  # as the API reads it
    if status == 200 and str(version.get("version")) != asked:
        # Exit 2, as for a refusal: version `asked` was not made, so a following `submit APPID asked` would
        # fail; not 0 (not done as asked), not 1 (no scan failed) and not 3 or 4 (trying again cannot help).
        earlier = version.get("version")
        if version.get("status") == "scan_failed":  # nothing to submit: the package or the program must change
            raise CliError(
                f"This exact package was uploaded before, as version {earlier}, and its scan failed; no version "
                f"{asked} was made. Fix the package (the report: `status {args.appid} {earlier}`) and upload it again, "
                f"or, if the errors were about the program's domains or privacy declaration and you changed them, "
                f"scan it again: `rescan {args.appid} {earlier} --wait`.")
        raise CliError(
            f"This exact package was uploaded before, as version {earlier} (status {version.get('status')}); no "
            f"version {asked} was made. Use version {earlier} (e.g. `submit {args.appid} {earlier}`), or change the "
            f"package to upload it as {asked}.")
    if status == 200:
        print(f"This exact package was uploaded before, as version {version.get('version')} (status "
              f"{version.get('status')}). Nothing new was stored.", file=out)
    else:
        print(f"Uploaded {path.name} as version {version.get('version')}: {version.get('status')}", file=out)
    print(version.get("url"), file=out)
    if not args.wait:
        return OK
    url = client.url("programs", args.appid, "versions", str(version.get("version")))
    version = wait_for_scan(client, url, version, timeout=args.timeout, interval=args.interval, out=out)
    print(f"Status: {version.get('status')}", file=out)
    print_report(version, out)
    return SCAN_FAILED if scan_failed(version) else OK


def cmd_submit(client: Client, args, out) -> int:
    url = client.url("programs", args.appid, "versions", args.version, "submit")
    try:
        with naming_what_is_missing(client, args.appid, args.version):
            _, version = client.post_json(url, {"notes": args.notes or "", "test_account": args.test_account or "",
                                                "expedited": bool(args.expedited)})
    except CliError as refused:
        # A CI job retried after a timeout whose first try went through: the version is in review already,
        # which is what was asked. Any other refusal stands.
        version = client.get(client.url("programs", args.appid, "versions", args.version)) \
            if refused.status == 409 else {}
        if version.get("status") != "in_review":
            raise
        print(f"{version.get('version')} is in review already (an earlier try went through): nothing to do.",
              file=out)
        print(version.get("url"), file=out)
        return OK
    print(f"Submitted {version.get('version')} for review: {version.get('status')}", file=out)
    print(version.get("url"), file=out)
    return OK


def cmd_rescan(client: Client, args, out) -> int:
    url = client.url("programs", args.appid, "versions", args.version)
    with naming_what_is_missing(client, args.appid, args.version):
        _, version = client.post_json(url + "rescan/", {})
    print(f"Scanning {version.get('version')} again: {version.get('status')}", file=out)
    print(version.get("url"), file=out)
    if not args.wait:
        return OK
    version = wait_for_scan(client, url, version, timeout=args.timeout, interval=args.interval, out=out)
    print(f"Status: {version.get('status')}", file=out)
    print_report(version, out)
    return SCAN_FAILED if scan_failed(version) else OK


def cmd_status(client: Client, args, out) -> int:
    if args.version:
        with naming_what_is_missing(client, args.appid, args.version):
            version = client.get(client.url("programs", args.appid, "versions", args.version))
        if args.json:
            print(json.dumps(version, indent=2, ensure_ascii=False), file=out)
        else:
            print_version(version, out)
        return SCAN_FAILED if scan_failed(version) else OK  # a CI job may gate on `status` after `upload`
    with naming_what_is_missing(client, args.appid):
        page = client.get(client.url("programs", args.appid, "versions"))
    results = list(page.get("results") or [])
    pages = 1
    while page.get("next") and pages < 100:  # follow the pagination
        page, pages = client.get(page["next"]), pages + 1
        results += page.get("results") or []
    if args.json:
        print(json.dumps({"count": len(results), "results": results}, indent=2, ensure_ascii=False), file=out)
        return OK
    if not results:
        print(f"No versions of {args.appid} yet.", file=out)
        return OK
    rows = [("VERSION", "STATUS", "SCAN", "UPLOADED")]
    for v in results:
        report = v.get("report") or {}
        scan = (f"{report.get('errors', 0)}E {report.get('warnings', 0)}W {report.get('notices', 0)}N"
                if report else scan_state(v))
        rows.append((str(v.get("version")), str(v.get("status")), scan, str(v.get("created_at") or "")))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)) + "  " + row[3], file=out)
    return OK


# -------------------------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: given after the command these override, left out they keep the top-level value.
    common.add_argument("--url", default=argparse.SUPPRESS,
                        help=f"the console's address (default: $CONSOLE_URL, else {DEFAULT_URL})")
    common.add_argument("--key", default=argparse.SUPPRESS,
                        help="an organisation API key (default: $CONSOLE_API_KEY)")
    parser = argparse.ArgumentParser(
        prog="cli.py", parents=[common],
        description="Upload, submit and follow mini-program versions through the console's API.",
        epilog="Exit codes: 0 ok; 1 scan failed; 2 API error (or the same package exists as another version), "
               "bad usage or no key; 3 network error or timeout; 4 retry later (HTTP 429).",
    )
    parser.add_argument("--version-info", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    upload = commands.add_parser("upload", parents=[common], help="upload a package as a new version")
    upload.add_argument("appid")
    upload.add_argument("package", metavar="PACKAGE.zip")
    upload.add_argument("--version", required=True, help="the version number, e.g. 1.2.3")
    upload.add_argument("--description", default="", help="what changed")
    upload.add_argument("--wait", action="store_true", help="wait for the scan; exit 1 if it fails")
    upload.add_argument("--timeout", type=float, default=300, help="seconds to wait for the scan (default 300)")
    upload.add_argument("--interval", type=float, default=2, help="seconds between polls (default 2)")

    submit = commands.add_parser("submit", parents=[common], help="submit a ready version for review")
    submit.add_argument("appid")
    submit.add_argument("version")
    submit.add_argument("--notes", default="", help="notes for the reviewer")
    submit.add_argument("--test-account", default="", help="a login the reviewer can use")
    submit.add_argument("--expedited", action="store_true", help="ask for expedited review (monthly quota)")

    rescan = commands.add_parser("rescan", parents=[common],
                                 help="scan a version whose scan failed again, after changing the program's settings")
    rescan.add_argument("appid")
    rescan.add_argument("version")
    rescan.add_argument("--wait", action="store_true", help="wait for the scan; exit 1 if it fails")
    rescan.add_argument("--timeout", type=float, default=300, help="seconds to wait for the scan (default 300)")
    rescan.add_argument("--interval", type=float, default=2, help="seconds between polls (default 2)")

    status = commands.add_parser("status", parents=[common], help="list versions, or show one version")
    status.add_argument("appid")
    status.add_argument("version", nargs="?")
    status.add_argument("--json", action="store_true", help="print the API's JSON")
    return parser


COMMANDS = {"upload": cmd_upload, "rescan": cmd_rescan, "submit": cmd_submit, "status": cmd_status}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse: --help is 0, bad usage 2
        return int(exit_.code or 0)
    url = getattr(args, "url", None) or os.environ.get("CONSOLE_URL") or DEFAULT_URL
    key = getattr(args, "key", None) or os.environ.get("CONSOLE_API_KEY")
    try:
        if not key:
            raise CliError("No API key: pass --key KEY or set CONSOLE_API_KEY (create a key on your "
                           "organisation's API keys page; it needs programs:read and programs:write).")
        if not urllib.parse.urlsplit(url).scheme.startswith("http"):
            raise CliError(f"--url must start with http:// or https:// (got {url!r}).")
        return COMMANDS[args.command](Client(url, key), args, sys.stdout)
    except CliError as error:
        print(f"error: {error.message}", file=sys.stderr)
        for field, messages in error.fields.items():
            text = "; ".join(messages) if isinstance(messages, list) else str(messages)
            print(f"  {field}: {text}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
