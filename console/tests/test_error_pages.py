"""403, 404 and 500 are console pages with words for people, not Django's bare defaults."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error


def test_a_missing_page_is_a_styled_404_with_a_way_back(client_for, owner):
    response = client_for(owner).get("/orgs/no-such-org/programs/")
    body = response.content.decode()
    assert response.status_code == 404
    assert 'data-error-page="404"' in body and "Page not found" in body
    assert "console.css" in body and 'href="/"' in body


def test_a_signed_out_visitor_gets_the_same_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "Page not found" in response.content.decode()


def test_a_forbidden_page_is_a_styled_403_that_says_why(client_for, member):
    response = client_for(member).get(reverse("review_queue"))
    body = response.content.decode()
    assert response.status_code == 403
    assert 'data-error-page="403"' in body and "Not allowed" in body and "console.css" in body


@pytest.mark.django_db
def test_a_server_error_is_a_styled_500_page():
    response = server_error(RequestFactory().get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert 'data-error-page="500"' in body and "Something went wrong" in body and "console.css" in body


@pytest.mark.django_db
def test_a_form_without_its_csrf_token_gets_a_console_page_that_says_what_to_do():
    """Django's own page said "More information is available with DEBUG=True", to a person with no DEBUG."""
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "a@b.c", "password": "x"})
    body = response.content.decode()

    assert response.status_code == 403
    assert 'data-error-page="403"' in body and "The form expired" in body and "console.css" in body
    assert "DEBUG" not in body
