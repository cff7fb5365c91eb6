"""Where to go after a form: the `next` a request names, when it is a page of this site."""

from django.utils.http import url_has_allowed_host_and_scheme


def next_path(request) -> str:
    """The request's `next` (form field or query) when it is a path on this site, else "".

    Only a path that starts with "/": `redirect()` reads any other word ("123456", a mistyped link) as the
    name of a URL pattern, and a name that matches none was a 500.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""
