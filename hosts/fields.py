"""The field rules of the host calls (SPEC §9) that the share gate (distribution) and the events (stats)
share, so that a value one accepts the other does not refuse, and a host user is the same user in both.

- Event ids and share ids: a letter or digit, then up to 63 letters, digits and `. _ : -`, nothing else
  (not even a final newline, which `$` would let through).
- Free text (host user ids, pages, scenes) is taken as sent, untrimmed, but holds no control characters:
  PostgreSQL cannot store NUL, and a newline or an escape in a stored page is a trap for whoever reads it.
"""

import re

ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}")
ID_RULE = "letters, digits and . _ : - (up to 64, starting with a letter or digit)"
MAX_USER_LENGTH = 128
MAX_PAGE_LENGTH = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def is_id(value: str) -> bool:
    return ID.fullmatch(value) is not None


def is_text(value: str) -> bool:
    """No control characters (C0, DEL, C1)."""
    return _CONTROL.search(value) is None
