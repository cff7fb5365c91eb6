"""Model fields of our own."""

from __future__ import annotations

import logging

from django.db import models

from console.sealing import Unsealable, seal, unseal

log = logging.getLogger(__name__)


class SealedCharField(models.CharField):
    """Text the server reads back in clear, stored sealed (see `console.sealing`).

    The model sees the plain value; the column holds a Fernet token, about 3.5 × the plain length
    (max_length counts the token). Sealing is randomised, so the column cannot be filtered on.
    A value no configured key opens reads as None, logged: the page or the call using it fails,
    nothing signs with an empty key, and saving cannot overwrite the stored token with a blank.
    """

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        try:
            return unseal(value)
        except Unsealable:
            log.error("%s.%s cannot be unsealed: SECRET_KEY changed without the old key in SECRET_KEY_FALLBACKS",
                      self.model.__name__, self.name)
            return None

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return seal(value) if value else value
