from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Reviews")

    def ready(self):
        from reviews import (
            panels,  # noqa: F401  (registers the review thread on the version page)
            receivers,  # noqa: F401  (a review that ends drops its claim)
        )
