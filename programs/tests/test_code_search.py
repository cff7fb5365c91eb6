"""Search across a version's files in the code viewer: matches by file and line, linked to the line; plain
text in any case; images and binaries left out; bounded; both sides (organisation and reviewer), 404 for
outsiders (test_code_viewer_access.py)."""

import pytest
from django.urls import reverse

from programs.codeview import search
from programs.tests.codeview import program_with_release
from reviews.tests.conftest import make_reviewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def versions(org):
    return program_with_release(org, new_files={"utils/nearby.js": "// CDN.example.com\nfetch('https://cdn.example.com/a');\n",
                                                "images/logo.png": b"\x89PNG cdn.example.com",
                                                "fonts/a.woff2": b"wOF2\x00cdn.example.com"})


def test_matches_are_listed_by_file_and_line_in_any_case(client_for, owner, org, versions):
    program, _released, review = versions
    url = reverse("version_code_search", args=[org.slug, program.appid, review.version])

    response = client_for(owner).get(url, {"q": "cdn.EXAMPLE.com"})

    result = response.context["result"]
    hits = {f.path: [(h.line, h.before, h.match, h.after) for h in f.hits] for f in result.files}
    assert hits["utils/nearby.js"] == [(1, "// ", "CDN.example.com", ""),
                                      (2, "fetch('https://", "cdn.example.com", "/a');")]
    assert "images/logo.png" not in hits and "fonts/a.woff2" not in hits  # images and binaries are not text
    body = response.content.decode()
    view = reverse("version_code", args=[org.slug, program.appid, review.version])
    assert f'href="{view}?path=utils%2Fnearby.js&amp;line=2#L2"' in body
    assert "<mark>cdn.example.com</mark>" in body


def test_the_query_is_text_not_a_pattern_and_is_escaped_on_the_page(client_for, owner, org, versions):
    program, _released, review = versions
    url = reverse("version_code_search", args=[org.slug, program.appid, review.version])
    client = client_for(owner)

    assert client.get(url, {"q": "fetch('"}).context["result"].hit_count == 1  # a quote and a bracket, literally
    assert client.get(url, {"q": ".*"}).context["result"].hit_count == 0
    body = client.get(url, {"q": "<script>x"}).content.decode()
    assert "<script>x" not in body and "&lt;script&gt;x" in body
    assert client.get(url, {"q": "x"}).status_code == 400  # one character: everything matches


def test_a_search_stops_at_its_limit_and_says_so(client_for, owner, org, versions, monkeypatch):
    program, _released, review = versions
    monkeypatch.setattr(search, "MAX_HITS", 2)

    result = search.search_package(review, "e")

    assert result.hit_count == 2 and result.stopped == "hits"


def test_reviewers_search_from_the_review_side(client_for, versions):
    _program, _released, review = versions
    reviewer = make_reviewer("riley@platform.test", "Riley Reviewer")

    response = client_for(reviewer).get(reverse("review_code_search", args=[review.pk]), {"q": "cdn.example.com"})

    assert response.status_code == 200
    assert response.context["result"].hit_count >= 1
    assert reverse("review_code", args=[review.pk]) in response.content.decode()


def test_a_match_on_a_long_line_shows_a_bounded_snippet_with_its_cuts():
    import re

    line = "a" * 500 + "needle" + "b" * 500
    text = "first\n" + line + "\n" + "x" * search.CONTEXT + "needle" + "y" * search.CONTEXT + "\nlast"
    hits = search._hits(text, re.compile("needle", re.IGNORECASE), 10)
    assert [(h.line, h.before, h.after) for h in hits] == [
        (2, "…" + "a" * search.CONTEXT, "b" * search.CONTEXT + "…"),
        (3, "x" * search.CONTEXT, "y" * search.CONTEXT)]  # the line ends right at the snippet's edges: no cut
