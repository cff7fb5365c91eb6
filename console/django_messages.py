"""Django's own messages whose bundled Chinese is missing: Django 5.2 reworded them and its catalog still
holds the old wording, so Chinese pages showed them in English (the sign-up and password pages). Named
here so that `make messages` keeps them in our catalog, which Django reads before its own (LOCALE_PATHS).
Nothing imports this module."""

from django.utils.translation import ngettext_lazy

PASSWORD_TOO_SHORT = ngettext_lazy(  # django.contrib.auth.password_validation.MinimumLengthValidator
    "This password is too short. It must contain at least %d character.",
    "This password is too short. It must contain at least %d characters.",
    "min_length",
)
