"""What reviews do when a version changes in the programs app (`programs.lifecycle.version_status_changed`)."""

from django.dispatch import receiver

from programs.lifecycle import version_status_changed
from programs.models import Version
from reviews.models import ReviewClaim


@receiver(version_status_changed, sender=Version, dispatch_uid="reviews.claim_ends_with_the_review")
def claim_ends_with_the_review(sender, version: Version, before: str, after: str, **kwargs) -> None:
    """A version leaving review (withdrawn, decided, its program suspended) is no longer anyone's to review.

    The claim stayed: it held one of the reviewer's three slots, and when the developer submitted again the
    new submission showed as claimed by them, from before it was made (a reviewer walk)."""
    if before == Version.Status.IN_REVIEW and after != Version.Status.IN_REVIEW:
        ReviewClaim.objects.filter(version=version).delete()
