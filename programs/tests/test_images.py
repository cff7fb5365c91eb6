"""Logo processing with Pillow (programs/images.py) and storing it on a program (program_set_logo)."""

import io
import time

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from console.models import AuditEvent
from programs.images import LOGO_MAX_OUTPUT_BYTES, process_logo
from programs.services import program_set_logo
from programs.tests.factories import MiniProgramFactory, image_bytes, png_bomb


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _refusal(data: bytes) -> str:
    with pytest.raises(ValidationError) as exc:
        process_logo(data)
    return exc.value.messages[0]


def test_a_large_square_png_is_rendered_at_256_and_64_pixels_in_rgb():
    (large, large_ext), (small, small_ext) = process_logo(image_bytes((512, 512)))
    large_img, small_img = _open(large), _open(small)
    assert (large_img.size, large_img.mode, large_ext) == ((256, 256), "RGB", "png")
    assert (small_img.size, small_img.mode, small_ext) == ((64, 64), "RGB", "png")
    assert large_img.getpixel((100, 100)) == (30, 120, 200)
    assert len(large) <= LOGO_MAX_OUTPUT_BYTES


def test_a_logo_between_180_and_256_pixels_is_kept_at_its_size_not_upscaled():
    (large, _ext), (small, _ext2) = process_logo(image_bytes((200, 200)))
    assert _open(large).size == (200, 200)
    assert _open(small).size == (64, 64)


def test_a_square_jpeg_is_accepted():
    (large, _ext), _small = process_logo(image_bytes((300, 300), fmt="JPEG"))
    assert _open(large).size == (256, 256)


@pytest.mark.parametrize("mode", ["RGBA", "P", "L"])
def test_non_rgb_pngs_are_converted_to_rgb(mode):
    (large, _ext), (small, _ext2) = process_logo(image_bytes((256, 256), mode=mode))
    assert _open(large).mode == "RGB"
    assert _open(small).mode == "RGB"


def test_a_cmyk_jpeg_is_refused_with_a_clear_message():
    assert _refusal(image_bytes((256, 256), mode="CMYK", fmt="JPEG")) == (
        "CMYK images are not supported; save the logo as RGB."
    )


def test_a_non_square_logo_is_refused():
    assert _refusal(image_bytes((300, 200))) == "The logo must be square; this one is 300×200."


def test_a_logo_smaller_than_180_pixels_is_refused():
    assert _refusal(image_bytes((179, 179))) == "The logo must be at least 180×180 pixels."


def test_a_gif_is_refused_whatever_its_name():
    assert _refusal(image_bytes((256, 256), mode="P", fmt="GIF")) == "The logo must be a PNG or JPEG image, not GIF."


def test_a_webp_is_refused():
    assert "not WEBP" in _refusal(image_bytes((256, 256), fmt="WEBP"))


def test_a_png_decompression_bomb_is_refused_quickly():
    data = png_bomb(30000, 30000)
    assert len(data) < 200
    started = time.monotonic()
    message = _refusal(data)
    assert time.monotonic() - started < 1.0
    assert "decompression bomb" in message


def test_a_png_declaring_just_over_pillows_warning_threshold_is_refused_as_a_bomb():
    assert "decompression bomb" in _refusal(png_bomb(10000, 10000))


def test_a_png_larger_than_the_logo_pixel_cap_is_refused_before_decoding():
    assert _refusal(png_bomb(5000, 5000)) == "The image is too large (5000×5000 pixels)."


def test_a_truncated_png_is_refused():
    noisy = io.BytesIO()
    Image.effect_noise((256, 256), 64).convert("RGB").save(noisy, format="PNG")
    data = noisy.getvalue()
    assert _refusal(data[: len(data) // 2]) == "The file is not a readable PNG or JPEG image."


@pytest.mark.parametrize("data", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b"%PDF-1.7\n"])
def test_garbage_is_refused(data):
    assert _refusal(data) == "The file is not a readable PNG or JPEG image."


def test_a_file_over_5_mb_is_refused_before_it_is_opened():
    assert _refusal(b"\x89PNG" + b"\x00" * (5 * 1024 * 1024)) == "The logo file is larger than 5 MB."


# ---------------------------------------------------------------- program_set_logo


def test_set_logo_stores_both_sizes_and_records_an_audit_event(owner):
    program = MiniProgramFactory(name="Logo Test")
    program_set_logo(program=program, actor=owner, data=image_bytes((400, 400), mode="RGBA"))
    program.refresh_from_db()
    assert program.logo.name.startswith(f"logos/{program.appid}/logo-")
    assert program.logo_small.name.endswith("-64.png")
    with program.logo.open("rb") as f:
        assert _open(f.read()).size == (256, 256)
    with program.logo_small.open("rb") as f:
        stored_small = _open(f.read())
    assert (stored_small.size, stored_small.mode) == ((64, 64), "RGB")
    event = AuditEvent.objects.get(action="program.logo")
    assert event.target_id == str(program.pk)
    assert event.after == {"logo": program.logo.name}


def test_set_logo_with_a_bad_image_changes_nothing(owner):
    program = MiniProgramFactory(name="Logo Test")
    with pytest.raises(ValidationError):
        program_set_logo(program=program, actor=owner, data=image_bytes((300, 200)))
    program.refresh_from_db()
    assert not program.logo
    assert not AuditEvent.objects.filter(action="program.logo").exists()
