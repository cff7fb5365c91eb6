"""Secrets the server must read back (HMAC keys it signs or verifies with), encrypted at rest.

A host credential's secret and a webhook endpoint's signing secret cannot be hashed like a password:
the server computes the same HMAC as the other side. They are stored as Fernet tokens (AES-128-CBC
with an HMAC-SHA256 tag, from `cryptography`), so a copy of the database or of a backup alone cannot
forge host calls or webhook deliveries.

The keys derive from SECRET_KEY and SECRET_KEY_FALLBACKS: the first seals, any of them unseals. To
rotate SECRET_KEY, move the old one into SECRET_KEY_FALLBACKS, deploy, run `manage.py reseal_secrets`,
then drop the fallback.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

log = logging.getLogger(__name__)

TOKEN_PREFIX = "gAAAAA"  # every Fernet token starts so (version byte 0x80, then a 64-bit timestamp)


class Unsealable(Exception):
    """No configured key opens this value (SECRET_KEY changed without keeping the old one as a fallback)."""


def seal(plain: str) -> str:
    return _fernet(*_keys()).encrypt(plain.encode()).decode()


def unseal(token: str) -> str:
    return _opened(lambda keys: keys.decrypt(token.encode()))


def reseal(token: str) -> str:
    """The same secret sealed under the current SECRET_KEY (a no-op for a value already sealed so)."""
    return _opened(lambda keys: keys.rotate(token.encode()))


def _opened(open_with) -> str:
    try:
        return open_with(_fernet(*_keys())).decode()
    except InvalidToken as error:
        raise Unsealable("no key in SECRET_KEY or SECRET_KEY_FALLBACKS opens this secret") from error


def _keys() -> tuple[str, ...]:
    return (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))


@functools.lru_cache(maxsize=8)
def _fernet(*secret_keys: str) -> MultiFernet:
    return MultiFernet([Fernet(_derived(key)) for key in secret_keys])


def _derived(secret_key: str) -> bytes:
    # Its own key, not SECRET_KEY itself: a value sealed here is never a valid session or signing key.
    digest = hashlib.sha256(b"console.sealing:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def seal_column(schema_editor, table: str, column: str = "secret") -> int:
    """Migration step: seal the plain values a column held before it became a SealedCharField."""
    return rewrite_column(schema_editor.connection, table, column,
                          lambda value: None if value.startswith(TOKEN_PREFIX) else seal(value))


def unseal_column(schema_editor, table: str, column: str = "secret") -> int:
    """The reverse migration step: plain values again."""
    return rewrite_column(schema_editor.connection, table, column,
                          lambda value: unseal(value) if value.startswith(TOKEN_PREFIX) else None)


def rewrite_column(connection, table: str, column: str, rewrite) -> int:
    """Apply `rewrite` to each non-empty stored value (None: leave it); returns how many rows changed.

    Raw SQL, not the model: the field would unseal on reading, and a migration's values are not sealed yet.
    """
    quote, changed = connection.ops.quote_name, 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {quote(column)} FROM {quote(table)}")
        for pk, value in cursor.fetchall():
            new = rewrite(value) if value else None
            if new is not None:
                cursor.execute(f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE id = %s", [new, pk])
                changed += 1
    return changed
