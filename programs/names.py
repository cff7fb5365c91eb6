"""Names that cannot impersonate: normalised, free of invisible characters, unique across look-alikes.

A program name is normalised to NFKC (fullwidth "Ｃｉｔｙ" becomes "City"), and refused when it holds
a character nobody can see or that changes how the rest is shown (console.text).

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

from console.text import invisible_characters

CONFUSABLES_FILE = Path(__file__).resolve().parent / "unicode" / "confusables.txt"


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


def normalise_name(raw: str) -> str:
    """NFKC, trimmed, runs of spaces collapsed; ValidationError naming any invisible or control character."""
    raw = raw.strip()
    invisible = invisible_characters(raw)
    if invisible:
        raise ValidationError({"name": _(
            "The name contains characters that cannot be seen or that change how text is shown: %(chars)s. "
            "Type the name again without them.") % {"chars": ", ".join(invisible)}})
    return " ".join(unicodedata.normalize("NFKC", raw).split())
