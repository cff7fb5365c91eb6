"""The scanner's shortcuts give exactly what the long way gives (they exist for speed, not for new rules)."""

from __future__ import annotations

import hashlib
import io
import random
import re
import zipfile

import pytest

from programs.samples import RawEntry, deflate, raw_zip
from programs.scanning import archive, code_risks, leaks, network, zipreader
from programs.scanning.jssource import Script, literal_alternation

from .helpers import findings_with, only, scan

NAME_PIECES = ["a", "Z", "0", "_", ".", "..", "-", "/", "//", "\\", ":", "C:", " ", "é", "\x01", "~", "$", "x" * 300]


def _random_names(count: int) -> list[str]:
    rng = random.Random(7)
    names = ["pages/index/index.js", "a/b/", ".env", "./a", "a/./b", "a/../b", "/abs", "C:/x", "a//b", "a/b/.",
             "a" * 256, "x" * 255, "assets/logo.png", "_x/y-z.min.js"]
    names += ["".join(rng.choice(NAME_PIECES) for _ in range(rng.randint(1, 6))) for _ in range(count)]
    return names


@pytest.mark.parametrize("name", _random_names(400))
def test_a_plain_name_is_one_the_full_name_checks_accept(name, monkeypatch):
    info = zipfile.ZipInfo(name)
    fast = _outcome(archive._checked_name(info))
    monkeypatch.setattr(archive, "PLAIN_NAME", re.compile(r"(?!)"))  # every name takes the long way

    assert _outcome(archive._checked_name(info)) == fast


def _outcome(checked: tuple) -> tuple:
    name, findings = checked
    return name, [(finding.code, finding.message) for finding in findings]


WORDS = [b"eval", b"lave", b"startLocationUpdate", b"startLocationUpdateBackground", b"request", b"re", b"a", b"ab",
         b"abc", b"b", b"$x", b"a.b"]


@pytest.mark.parametrize("seed", range(20))
def test_a_prefix_tree_alternation_matches_what_the_flat_one_matches(seed):
    rng = random.Random(seed)
    words = rng.sample(WORDS, rng.randint(1, len(WORDS)))
    flat = re.compile(rb"(" + b"|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + rb")(?![\w$])")
    tree = re.compile(rb"(" + literal_alternation(words) + rb")(?![\w$])")
    text = b" ".join(rng.choice(WORDS + [b"x", b"(", b"Background", b"lav"]) for _ in range(300))
    text += b"".join(rng.choice(WORDS) for _ in range(100))
    assert [m.span(1) for m in tree.finditer(text)] == [m.span(1) for m in flat.finditer(text)]


FLAT_REVERSED_CALLS = re.compile(
    rb"\(\s*(" + b"|".join(sorted((name[::-1].encode() for name in code_risks.CALL_KINDS), key=len, reverse=True))
    + rb")")


def _flat_risky_calls(text: bytes) -> list[code_risks.Call]:
    reversed_text = text[::-1]
    calls = [code_risks.Call(match.group(1)[::-1].decode(), len(text) - match.end(1), len(text) - match.start())
             for match in FLAT_REVERSED_CALLS.finditer(reversed_text)]
    return calls[::-1]


def test_risky_calls_are_the_ones_the_flat_pattern_finds():
    code = (b"eval(x); setTimeout ('a'); setInterval\n\t(f); new Function('x'); require('./a'); import('b');"
            b" importScripts('c'); loadSubpackage({}); preloadSubPackage(); myeval(1); (eval)(2); Function;"
            b" evalx(); x.require (y); importScripts(\n'z'); eval  \r\n (3)")
    rng = random.Random(3)
    noise = b"".join(rng.choice([b"(", b" ", b"\n", b"l", b"e", b"val", b"eval", b"require", b"Scripts", b"import"])
                     for _ in range(2000))
    for text in (code, noise, code + noise, noise + code):
        assert code_risks.risky_calls(text) == _flat_risky_calls(text)


SECRETS = [
    b"-----BEGIN RSA PRIVATE KEY-----", b"-----BEGIN PRIVATE KEY-----", b"-----BEGIN OPENSSH PRIVATE KEY-----",
    b"AKIAABCDEFGHIJKLMNOP", b"ASIAABCDEFGHIJKLMNOP", b"AKID" + b"aB3" * 10 + b"cD",
    b"LTAI5tAbCdEfGhIjKlMn", b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", b"b" * 30, b"Ab1" * 10 + b"cd",
]


def _secrets_three_passes(script: Script) -> list:
    text, findings = script.text, []
    findings += [leaks._private_key_finding(script, match) for match in leaks._PRIVATE_KEY.finditer(text)]
    findings += [leaks._cloud_finding(script, match, match.lastgroup) for match in leaks._A_KEYS.finditer(text)
                 if not leaks._extends_token(text, match.start())]
    findings += [leaks._cloud_finding(script, match, "alibaba") for match in leaks._ALIBABA.finditer(text)
                 if not leaks._extends_token(text, match.start())]
    return findings


@pytest.mark.parametrize("seed", range(30))
def test_one_candidate_pass_finds_every_secret_the_three_patterns_find(seed):
    rng = random.Random(seed)
    pieces = SECRETS + [b"A", b"AK", b"LT", b"PRIV", b" ", b"\n", b"x", b"'", b"AAAA"]
    text = b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 60)))
    assert leaks.secrets_in(Script("a.js", text), None) == _secrets_three_passes(Script("a.js", text))


def test_a_key_at_the_very_start_or_end_of_a_file_is_found():
    for text in (b"AKIAABCDEFGHIJKLMNOP", b"x = 'LTAI5tAbCdEfGhIjKlMn'", b"-----BEGIN EC PRIVATE KEY-----"):
        assert len(leaks.secrets_in(Script("a.js", text), None)) == 1


def test_url_literals_are_found_where_the_regex_finds_them():
    text = (b"const A = 'https://a.example.com/x'; b: \"http://b.example.com:8080\", c = `wss://c.example.com`;"
            b" '://x' 'ftp://no' 'https://host:' + '//' s = 'https://d.example.com:'//comment\n"
            b" e = 'https://' + host")
    for candidate in (text, b"://" * 5, b"", b"https://only"):
        assert [m.span() for m in network._authorities(candidate)] == \
            [m.span() for m in network._AUTHORITY.finditer(candidate)]


def test_a_member_inflating_past_its_declared_size_stops_one_byte_past_it():
    content = b"x" * 500_000
    data = raw_zip([RawEntry("assets/big.txt", deflate(content), content=content, method=zipfile.ZIP_DEFLATED,
                             size=1000)])
    info = zipfile.ZipFile(io.BytesIO(data)).infolist()[0]

    for chunk_bytes in (10**9, 64, zipreader.CHUNK_BYTES):
        assert sum(map(len, zipreader.member_chunks(io.BytesIO(data), info, chunk_bytes))) == 1001


def test_a_lying_size_header_is_still_named_when_the_member_is_read_whole():
    content = b"console.log(1);\n" * 1000
    data = raw_zip([RawEntry("app.js", deflate(content), content=content, method=zipfile.ZIP_DEFLATED,
                             size=100)])

    report = scan(data)

    assert "inflates to more than the 100 bytes" in only(report, "archive.size_mismatch").message


def test_a_member_kept_whole_has_the_same_bytes_and_digest_as_a_chunked_read():
    content = bytes(random.Random(1).getrandbits(8) for _ in range(700_000)) + b"a" * 300_000
    data = raw_zip([RawEntry("assets/a.json", deflate(content), content=content, method=zipfile.ZIP_DEFLATED)])

    report = scan(data)

    assert report.files["assets/a.json"].sha256 == hashlib.sha256(content).hexdigest()
    assert not findings_with(report, "archive.corrupt")
