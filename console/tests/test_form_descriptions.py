"""Form fields are described by their help and their errors for screen readers.

Django 5.2 writes `aria-describedby="id_x_helptext id_x_error"` on every field with help or errors, naming
elements of its own templates; ours drew the help and the errors without those ids, so a screen reader
focusing a field that had just been refused heard neither why nor what was asked.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from programs.tests.factories import MiniProgramFactory

pytestmark = pytest.mark.django_db


def dangling_descriptions(html: str) -> list[str]:
    """Ids named by aria-describedby that no element of the page has."""
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    named = [ref for refs in re.findall(r'aria-describedby="([^"]*)"', html) for ref in refs.split()]
    return [ref for ref in named if ref not in ids]


def described_fields(html: str) -> int:
    return len(re.findall(r'aria-describedby="', html))


def test_refused_forms_point_their_fields_at_the_help_and_the_errors(client_for, owner, org):
    client = client_for(owner)
    program = MiniProgramFactory(organisation=org)
    refused = {
        "sign-up": Client().post(reverse("sign_up"), {"email": "not-an-email"}),
        "new program": client.post(reverse("program_create", args=[org.slug]), {"name": "x"}),
        "upload": client.post(reverse("version_upload_page", args=[org.slug, program.appid]), {"version": "v1.x"}),
        "invitation": client.post(reverse("members", args=[org.slug]), {"email": "not-an-email", "role": "viewer"}),
        "API key": client.post(reverse("api_keys", args=[org.slug]), {"name": ""}),
        "webhook": client.post(reverse("webhooks", args=[org.slug]), {"url": "not a url"}),
    }
    pages = {name: response.content.decode() for name, response in refused.items()}

    assert {name: r.status_code for name, r in refused.items() if r.status_code not in (200, 400)} == {}
    assert {name: dangling_descriptions(html) for name, html in pages.items() if dangling_descriptions(html)} == {}
    assert sum(described_fields(html) for html in pages.values()) >= 10  # the check looked at real fields
    assert all('aria-invalid="true"' in html for html in pages.values()), "each page really refused a field"


def test_forms_as_first_shown_point_their_fields_at_their_help(client_for, owner, org):
    client = client_for(owner)
    program = MiniProgramFactory(organisation=org)
    urls = [reverse("program_edit", args=[org.slug, program.appid]), reverse("organisation_settings", args=[org.slug]),
            reverse("organisation_create"), reverse("password_change"), reverse("webhooks", args=[org.slug]),
            reverse("api_keys", args=[org.slug]), reverse("version_upload_page", args=[org.slug, program.appid])]
    pages = {url: client.get(url) for url in urls}

    assert {url: r.status_code for url, r in pages.items() if r.status_code != 200} == {}
    assert {url: dangling_descriptions(r.content.decode()) for url, r in pages.items()
            if dangling_descriptions(r.content.decode())} == {}
