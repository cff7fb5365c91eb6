"""Streaming package uploads: spooled to a temporary file while hashed and measured.

The handler sees the body chunk by chunk, so a package is never held in memory
and an oversize upload is cut off at the limit instead of after it arrived.
"""

import hashlib
import tempfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload


class HashedUploadedFile(UploadedFile):
    """A temporary file that knows its SHA-256."""

    def __init__(self, file, name, content_type, size, charset, sha256: str):
        super().__init__(file, name, content_type, size, charset)
        self.sha256 = sha256

    def temporary_file_path(self):
        return self.file.name

    def close(self):
        try:
            return self.file.close()
        except FileNotFoundError:
            pass


@dataclass
class UploadLimitState:
    max_bytes: int
    exceeded: bool = False
    received: int = 0  # over every file of the request, so that many files cannot each take the limit


class HashingFileUploadHandler(FileUploadHandler):
    """Writes each file to a temporary file, hashing as it goes; stops at `limit.max_bytes`."""

    chunk_size = 256 * 1024

    def __init__(self, request=None, *, limit: UploadLimitState):
        super().__init__(request)
        self.limit = limit

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.hasher = hashlib.sha256()
        self.size = 0
        self.file = tempfile.NamedTemporaryFile(suffix=".upload", dir=settings.FILE_UPLOAD_TEMP_DIR)

    def receive_data_chunk(self, raw_data, start):
        self.size += len(raw_data)
        self.limit.received += len(raw_data)
        if self.limit.received > self.limit.max_bytes:
            self.limit.exceeded = True
            self.file.close()
            raise StopUpload(connection_reset=True)
        self.hasher.update(raw_data)
        self.file.write(raw_data)
        return None

    def file_complete(self, file_size):
        self.file.flush()
        self.file.seek(0)
        return HashedUploadedFile(
            self.file, self.file_name, self.content_type, file_size, self.charset, self.hasher.hexdigest()
        )


def install_package_upload_handler(request, max_bytes: int) -> UploadLimitState:
    """Replace the request's upload handlers before its body is read; returns the limit state to check after."""
    state = UploadLimitState(max_bytes=max_bytes)
    request.upload_handlers = [HashingFileUploadHandler(request, limit=state)]
    return state


def declared_length_exceeds(request, max_bytes: int, slack: int = 64 * 1024) -> bool:
    """True when Content-Length already says the body is too large (answer 413 without reading it)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > max_bytes + slack


def upload_rate_wait(org) -> int:
    """Count one upload attempt for `org`; 0 when it may go ahead, else the seconds until the hour's count
    starts again (PACKAGE_UPLOADS_PER_HOUR; the shared cache, atomic on Redis).

    Every attempt counts, refused ones too (a malformed version, a duplicate, a package too large): the cost
    this limit guards is the transfer and the temporary file, which a refused upload has already made.
    """
    from console.ratelimit import rate_limit_wait

    return rate_limit_wait(f"upload-org:{org.pk}", limit=settings.PACKAGE_UPLOADS_PER_HOUR, window=3600)


def upload_rate_message(wait: int) -> str:
    from django.utils.translation import ngettext

    minutes = max(1, -(-wait // 60))
    later = ngettext("%(m)d minute", "%(m)d minutes", minutes) % {"m": minutes}
    n = settings.PACKAGE_UPLOADS_PER_HOUR
    return ngettext(
        "This organisation reached its limit of %(n)d upload attempt an hour (refused ones count too); "
        "try again in %(later)s.",
        "This organisation reached its limit of %(n)d upload attempts an hour (refused ones count too); "
        "try again in %(later)s.", n) % {"n": n, "later": later}


class CappedUploadMixin:
    # For an APIView whose writes take a file: the body's files stream to a temporary file up to
    # `upload_max_bytes` and the upload stops there. DRF's default handlers read a 1 GB logo whole to disk
    # before the service said "larger than 5 MB". (Comments, not a docstring: the schema would show it.)

    upload_max_bytes: int

    def initial(self, request, *args, **kwargs):
        self.upload_state = None
        if request.method in ("POST", "PUT", "PATCH"):
            # Before authentication: the session's CSRF check reads the body, which must already stream through
            # the capped handler. Access is checked afterwards, in the handler, as for every write.
            self.upload_state = install_package_upload_handler(request._request, self.upload_max_bytes)
        super().initial(request, *args, **kwargs)

    def upload_refusal(self, request, message: str):
        """A 413 saying `message` when the body says or proved it is over the cap (read `request.data` first)."""
        from console.api_errors import error_response

        if declared_length_exceeds(request, self.upload_max_bytes) or self.upload_state.exceeded:
            return error_response("request_too_large", message, 413)
        return None
