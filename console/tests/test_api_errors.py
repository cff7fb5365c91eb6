"""Every API error has one shape: {"error": {"code", "message", "fields"}}."""

import json

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import reverse
from rest_framework import exceptions

from console.api_errors import exception_handler


def _handle(exc):
    response = exception_handler(exc, {})
    return response.status_code, response.data


def test_django_validation_error_with_fields_becomes_400_with_fields():
    status, data = _handle(DjangoValidationError({"scopes": ["Choose at least one scope."], "name": ["Too long."]}))

    assert status == 400
    assert data == {"error": {
        "code": "invalid", "message": "Some fields are not valid.",
        "fields": {"scopes": ["Choose at least one scope."], "name": ["Too long."]}}}


def test_django_validation_error_without_fields_puts_the_message_first():
    status, data = _handle(DjangoValidationError("An organisation needs at least one owner."))

    assert status == 400
    assert data["error"]["code"] == "invalid"
    assert data["error"]["message"] == "An organisation needs at least one owner."
    assert data["error"]["fields"] == {"non_field_errors": ["An organisation needs at least one owner."]}


def test_drf_validation_error_from_a_serializer_keeps_every_field():
    status, data = _handle(exceptions.ValidationError({"version": ["This field is required."], "package": "Bad."}))

    assert status == 400
    assert data["error"]["fields"] == {"version": ["This field is required."], "package": ["Bad."]}
    assert data["error"]["message"] == "Some fields are not valid."


def test_http404_becomes_not_found():
    assert _handle(Http404("secret detail")) == (404, {"error": {
        "code": "not_found", "message": "Not found.", "fields": {}}})


def test_django_permission_denied_becomes_403_with_its_message():
    status, data = _handle(DjangoPermissionDenied("Only an owner can remove an owner."))

    assert status == 403
    assert data == {"error": {"code": "permission_denied", "message": "Only an owner can remove an owner.",
                              "fields": {}}}


def test_django_permission_denied_without_a_message_gets_a_default():
    status, data = _handle(DjangoPermissionDenied())

    assert status == 403
    assert data["error"]["message"] == "You do not have permission to perform this action."


@pytest.mark.parametrize(
    "exc, status, code",
    [
        (exceptions.NotAuthenticated(), 401, "not_authenticated"),
        (exceptions.AuthenticationFailed("nope"), 401, "authentication_failed"),
        (exceptions.MethodNotAllowed("DELETE"), 405, "method_not_allowed"),
        (exceptions.Throttled(wait=30), 429, "throttled"),
        (exceptions.ParseError(), 400, "parse_error"),
    ],
)
def test_drf_errors_keep_their_status_and_code(exc, status, code):
    got_status, data = _handle(exc)

    assert got_status == status
    assert data["error"]["code"] == code
    assert data["error"]["message"]
    assert data["error"]["fields"] == {}


def test_an_unexpected_exception_is_left_to_django():
    assert exception_handler(RuntimeError("boom"), {}) is None


def test_wrong_method_on_a_real_endpoint_uses_the_shape(api_with_key):
    response = api_with_key.delete(reverse("api_me"))

    assert response.status_code == 405
    assert response.json() == {"error": {"code": "method_not_allowed", "message": 'Method "DELETE" not allowed.',
                                         "fields": {}}}


def test_not_found_from_a_real_endpoint_uses_the_shape(api_with_key):
    response = api_with_key.get(reverse("api_audit_events", args=["nobody"]))

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}


@pytest.mark.parametrize("method", ["get", "post", "delete"])
@pytest.mark.parametrize("path", ["/api/v1/no-such-endpoint/", "/api/v2/me/", "/api/"])
def test_unknown_api_path_answers_with_the_error_shape(api, db, method, path):
    response = getattr(api, method)(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": {"code": "not_found", "message": "No API endpoint at this path.",
                                         "fields": {}}}


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_path_without_its_last_slash_says_where_the_endpoint_is(api_with_key, method):
    response = getattr(api_with_key, method)("/api/v1/programs")

    assert response.status_code == 404
    assert response.json()["error"]["message"] == (
        "No API endpoint at this path; every path ends with a slash: /api/v1/programs/")
    assert api_with_key.get("/api/v1/no-such-endpoint").json()["error"]["message"] == "No API endpoint at this path."


def test_an_html_error_page_under_the_api_becomes_the_json_error_shape(rf):
    from django.http import HttpResponseServerError

    from console.middleware import ApiErrorShapeMiddleware

    middleware = ApiErrorShapeMiddleware(lambda request: HttpResponseServerError("<h1>Server Error (500)</h1>"))

    response = middleware(rf.get("/api/v1/programs/"))

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["error"]["code"] == "server_error"


def test_html_error_pages_outside_the_api_are_left_alone(rf):
    from django.http import HttpResponseNotFound

    from console.middleware import ApiErrorShapeMiddleware

    middleware = ApiErrorShapeMiddleware(lambda request: HttpResponseNotFound("<h1>Not found</h1>"))

    response = middleware(rf.get("/orgs/acme/"))

    assert (response.status_code, response.content) == (404, b"<h1>Not found</h1>")


def test_nested_errors_get_dotted_field_names_and_plain_messages():
    detail = {"domains": {"request": {2: [exceptions.ErrorDetail("Too long.", code="max_length")]}},
              "items": [{}, {"name": ["Required."]}]}

    status, data = _handle(exceptions.ValidationError(detail))

    assert status == 400
    assert data["error"]["fields"] == {"domains.request.2": ["Too long."], "items.1.name": ["Required."]}


def test_the_message_of_a_refused_body_is_in_the_language_of_its_fields(api_with_key):
    response = api_with_key.post("/api/v1/programs/", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")

    error = response.json()["error"]
    assert (response.status_code, error["message"]) == (400, "部分字段无效。")
    assert error["fields"]["name"] == ["该字段是必填项。"]


def test_an_unknown_api_path_answers_in_the_callers_language(api_with_key):
    response = api_with_key.get("/api/v1/programs", HTTP_ACCEPT_LANGUAGE="zh-CN")

    assert response.json()["error"]["message"] == "此路径下没有 API 端点；所有路径都以斜杠结尾：/api/v1/programs/"


@pytest.mark.parametrize("lang, message", [
    ("en", "The body is not valid JSON: a value was expected at line 2, column 9."),
    ("zh-CN", "请求体不是有效的 JSON（第 2 行第 9 列）：应为一个值。"),
])
def test_a_body_that_is_not_json_says_where_in_the_callers_language(api_with_key, lang, message):
    """DRF's own "JSON parse error - Expecting value: line 2 column 9 (char 10)" was English in every language."""
    response = api_with_key.generic("POST", "/api/v1/programs/", b'{\n"name": }', content_type="application/json",
                                    HTTP_ACCEPT_LANGUAGE=lang)

    assert response.status_code == 400
    assert response.json()["error"] == {"code": "parse_error", "message": message, "fields": {}}


def test_a_body_that_is_not_utf8_names_the_byte(api_with_key):
    response = api_with_key.generic("POST", "/api/v1/programs/", b'{"name": "\xff"}', content_type="application/json",
                                    HTTP_ACCEPT_LANGUAGE="zh-CN")

    assert response.json()["error"]["message"] == "请求体不是有效的 UTF-8 文本（第 11 字节）。"


@pytest.mark.parametrize("language, message", [
    ("en", "The request body is larger than 2.5\xa0MB; send less."),
    ("zh-CN", "请求体超过 2.5\xa0MB，请减少发送的内容。"),
])
def test_a_body_over_the_limit_is_refused_in_the_callers_language(api_with_key, language, message):
    """A walk in Chinese: refused before the locale is set, the 413 was English (and its JSON \\u-escaped)."""
    response = api_with_key.generic("POST", "/api/v1/programs/", b"{}",
                                    content_type="application/json", HTTP_ACCEPT_LANGUAGE=language,
                                    CONTENT_LENGTH=str(3 * 1024 * 1024))

    assert response.status_code == 413
    assert response.json()["error"] == {"code": "request_too_large", "message": message, "fields": {}}
    assert "\\u" not in response.content.decode()
