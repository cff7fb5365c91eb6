"""One-line texts shown to other people: free of characters nobody can see or that change how the rest is shown.

Refused: controls, format characters (bidirectional overrides and isolates, zero-width space and joiners,
the soft hyphen), the other default-ignorable code points (variation selectors, Hangul fillers),
unassigned code points and separators other than the plain space. A right-to-left override in an
organisation's name turns the rest of every email footer and reviewer page around it.
Program names (programs.names) are also normalised and kept unique across look-alikes.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Default_Ignorable_Code_Point (DerivedCoreProperties.txt) that are not already Cc/Cf/Cn, and
# the blank-looking letters and symbols that render as nothing.
_INVISIBLE_RANGES = (
    (0x034F, 0x034F),  # COMBINING GRAPHEME JOINER
    (0x115F, 0x1160),  # HANGUL CHOSEONG / JUNGSEONG FILLER
    (0x17B4, 0x17B5),  # KHMER VOWEL INHERENT AQ, AA
    (0x180B, 0x180F),  # MONGOLIAN FREE VARIATION SELECTORS, VOWEL SEPARATOR
    (0x2800, 0x2800),  # BRAILLE PATTERN BLANK
    (0x3164, 0x3164),  # HANGUL FILLER
    (0xFE00, 0xFE0F),  # VARIATION SELECTORS 1–16
    (0xFFA0, 0xFFA0),  # HALFWIDTH HANGUL FILLER
    (0xE0100, 0xE01EF),  # VARIATION SELECTORS 17–256
)
# Controls, format characters (bidi, zero-width), surrogates, private use, unassigned, line and
# paragraph separators. Spaces (Zs) other than U+0020 are refused separately.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _refused(char: str) -> bool:
    point, category = ord(char), unicodedata.category(char)
    return (
        category in _REFUSED_CATEGORIES
        or (category == "Zs" and char != " ")
        or any(low <= point <= high for low, high in _INVISIBLE_RANGES)
    )


def invisible_characters(text: str) -> list[str]:
    """The characters of `text` a name may not hold, once NFKC-normalised, each as `U+200B ZERO WIDTH SPACE`.

    The label names the character as typed: NFKC turns the ideographic space into a plain one (fine)
    but the Hangul filler U+3164 into U+1160 (still refused, and reported as U+3164).
    """
    found = []
    for char in text:
        if any(_refused(c) for c in unicodedata.normalize("NFKC", char)):
            label = f"U+{ord(char):04X} {unicodedata.name(char, '')}".strip()
            if label not in found:
                found.append(label)
    return found


def refuse_invisible_characters(value: str) -> None:
    """Field validator: a one-line text shown to others (organisation and people's names, slogans)."""
    invisible = invisible_characters(value.strip())
    if invisible:
        raise ValidationError(
            _("This contains characters that cannot be seen or that change how text is shown: %(chars)s. "
              "Type it again without them."), code="invisible_characters", params={"chars": ", ".join(invisible)})
