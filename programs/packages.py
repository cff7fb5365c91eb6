"""Private files (packages, qualification documents): where they are stored and the one way they are served.

They live in the `private` storage, never under MEDIA_ROOT: on the embedded default a folder of its
own (PRIVATE_MEDIA_ROOT) that no URL maps to; on S3 a prefix of the bucket whose objects are only
reached through presigned URLs that expire after PRIVATE_FILE_URL_SECONDS. Who may have a file is
decided by the selectors (programs.selectors.package_version_for_user); `private_file_response` is
the only place that hands one out, as an attachment. Logos stay in the default (public) storage.
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import FileResponse, HttpResponseRedirect
from django.utils.functional import LazyObject, cached_property, empty
from django.views.decorators.cache import patch_cache_control


class PrivateFileSystemStorage(FileSystemStorage):
    """Files under PRIVATE_MEDIA_ROOT, which has no URL: asking for one is a programming error."""

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name):
        raise ValueError("Private files have no URL; serve them with programs.packages.private_file_response.")


class _PrivateStorage(LazyObject):
    def _setup(self):
        self._wrapped = storages["private"]


_private = _PrivateStorage()


@receiver(setting_changed)
def _reset_private_storage(*, setting, **kwargs):
    if setting == "STORAGES":
        _private._wrapped = empty


def private_storage():
    """The `storage` of private FileFields (a callable, so migrations name it, not its settings)."""
    return _private


def private_file_response(file_field, *, filename: str, content_type: str = "application/octet-stream"):
    """The file as a download: streamed from the file system, or a redirect to a short-lived presigned URL."""
    storage = file_field.storage
    disposition = f'attachment; filename="{filename}"'
    if isinstance(storage, FileSystemStorage):
        response = FileResponse(storage.open(file_field.name, "rb"), as_attachment=True, filename=filename,
                                content_type=content_type)
    else:
        url = storage.url(file_field.name, expire=settings.PRIVATE_FILE_URL_SECONDS, parameters={
            "ResponseContentDisposition": disposition, "ResponseContentType": content_type})
        response = HttpResponseRedirect(url)
    patch_cache_control(response, private=True, no_store=True)
    return response


def safe_filename(name: str) -> str:
    """A download name that cannot break out of the Content-Disposition header: letters, digits, . - _ only."""
    cleaned = "".join(c if (c.isascii() and c.isalnum()) or c in ".-_" else "_" for c in name).strip(".")
    return cleaned[:120] or "download"


def package_filename(version) -> str:
    return safe_filename(f"{version.program.appid}-{version.version}.zip")
