"""Names that cannot impersonate: normalised, free of invisible characters, unique across look-alikes.

A program name is normalised to NFKC (fullwidth "Ｃｉｔｙ" becomes "City"), and refused when it holds
a character nobody can see or that changes how the rest is shown: controls, format characters
(bidirectional overrides and isolates, zero-width space and joiners, the soft hyphen), the other
default-ignorable code points (variation selectors, Hangul fillers), unassigned code points and
separators other than the plain space.

Uniqueness is checked on a key built from the Unicode TR39 *skeleton*
(https://www.unicode.org/reports/tr39/#Confusable_Detection): NFD, every character replaced by
its prototype from confusables.txt, NFD again. "Сity Bikes" with a Cyrillic С has the skeleton
of "City Bikes". The key is the skeleton of the case-folded skeleton, so "PayPaI" (capital I) and
"paypal" meet too. The data file ships in programs/unicode/ (see the README there).
"""

import functools
import unicodedata
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CONFUSABLES_FILE = Path(__file__).resolve().parent / "unicode" / "confusables.txt"

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


@functools.cache
def _prototypes() -> dict[str, str]:
    """confusables.txt as {source character: prototype string}."""
    table = {}
    with CONFUSABLES_FILE.open(encoding="utf-8-sig") as lines:
        for line in lines:
            data = line.split("#", 1)[0].strip()
            if not data:
                continue
            source, target, *_rest = (part.strip() for part in data.split(";"))
            table[chr(int(source, 16))] = "".join(chr(int(code, 16)) for code in target.split())
    return table


def skeleton(text: str) -> str:
    """TR39 skeleton(X): NFD, map each character to its confusable prototype, NFD again."""
    prototypes = _prototypes()
    mapped = "".join(prototypes.get(char, char) for char in unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", mapped)


def name_key(name: str) -> str:
    """What two names must not share to both be live: look-alikes and case variants of look-alikes meet."""
    return skeleton(skeleton(unicodedata.normalize("NFKC", name)).casefold())


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


def normalise_name(raw: str) -> str:
    """NFKC, trimmed, runs of spaces collapsed; ValidationError naming any invisible or control character."""
    raw = raw.strip()
    invisible = invisible_characters(raw)
    if invisible:
        raise ValidationError({"name": _(
            "The name contains characters that cannot be seen or that change how text is shown: %(chars)s. "
            "Type the name again without them.") % {"chars": ", ".join(invisible)}})
    return " ".join(unicodedata.normalize("NFKC", raw).split())
