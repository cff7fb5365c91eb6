"""Logo processing with Pillow: the real content is checked, never the file name or declared type."""

import io
import warnings

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

LOGO_MIN_SIDE = 180
LOGO_OUTPUT_SIDE = 256
LOGO_SMALL_SIDE = 64
LOGO_MAX_OUTPUT_BYTES = 256 * 1024
LOGO_MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# Far above any real logo, far below what would exhaust memory when decoded.
LOGO_MAX_PIXELS = 4096 * 4096
ALLOWED_FORMATS = {"PNG", "JPEG"}


def _open_checked(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > LOGO_MAX_PIXELS:
                raise ValidationError(_("The image is too large (%(w)d×%(h)d pixels).") % {
                    "w": image.width, "h": image.height})
            image.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_("The image declares an enormous size (a decompression bomb) and was refused."))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(_("The file is not a readable PNG or JPEG image."))
    return image


def _check_logo(image: Image.Image) -> None:
    if image.format not in ALLOWED_FORMATS:
        raise ValidationError(_("The logo must be a PNG or JPEG image, not %(fmt)s.") % {"fmt": image.format})
    if image.mode == "CMYK":
        raise ValidationError(_("CMYK images are not supported; save the logo as RGB."))
    if image.width != image.height:
        raise ValidationError(_("The logo must be square; this one is %(w)d×%(h)d.") % {
            "w": image.width, "h": image.height})
    if image.width < LOGO_MIN_SIDE:
        raise ValidationError(_("The logo must be at least %(min)d×%(min)d pixels.") % {"min": LOGO_MIN_SIDE})


def _render(image: Image.Image, side: int) -> tuple[bytes, str]:
    """PNG when it fits in 256 KB, else JPEG at falling quality; returns (bytes, file extension)."""
    resized = image.resize((side, side), Image.Resampling.LANCZOS) if image.width != side else image
    for quality_step in (None, 90, 80, 70):
        out = io.BytesIO()
        if quality_step is None:
            resized.save(out, format="PNG", optimize=True)
        else:
            resized.save(out, format="JPEG", quality=quality_step)
        if out.tell() <= LOGO_MAX_OUTPUT_BYTES:
            return out.getvalue(), "png" if quality_step is None else "jpg"
    raise ValidationError(_("The logo is too detailed to fit in 256 KB; simplify it."))


def process_logo(data: bytes) -> tuple[tuple[bytes, str], tuple[bytes, str]]:
    """Validate an uploaded logo and render the two sizes the UI shows (256 px and 64 px), RGB."""
    if len(data) > LOGO_MAX_UPLOAD_BYTES:
        raise ValidationError(_("The logo file is larger than 5 MB."))
    image = _open_checked(data)
    _check_logo(image)
    rgb = image.convert("RGB")
    side = min(rgb.width, LOGO_OUTPUT_SIDE)
    return _render(rgb, side), _render(rgb, LOGO_SMALL_SIDE)
