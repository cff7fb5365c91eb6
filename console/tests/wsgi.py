"""Requests through the real WSGI entry point, checked by wsgiref's validator as `make run`'s server checks them.

Django's test client calls the handler without WSGI's start_response, so it lets through what the
development server (wsgiref) refuses with a 500 after the view has run: a header value that is a
subclass of str (DRF's Hyperlink) rather than a str.
"""

import io
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections


def wsgi_request(method: str, path: str, body: bytes = b"", content_type: str = "", **headers: str):
    """(status line, [(name, value)], body) of one request through WSGIHandler under wsgiref's validator.

    `headers` as WSGI environ keys (HTTP_AUTHORIZATION=…). The test's transaction stays open: as the
    test client does, the request's start and end do not close the connection.
    """
    environ = {"REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": "", "HTTP_HOST": "testserver",
               "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
               **headers}
    setup_testing_defaults(environ)
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer.update(status=status, headers=response_headers)
        return lambda data: None

    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        result = validator(WSGIHandler())(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            result.close()
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)
    return answer["status"], answer["headers"], content
