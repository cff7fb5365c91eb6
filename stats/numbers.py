"""Rounding as people and spreadsheets do it: halves up, on the exact value.

`round()` on a float rounds its binary value: 2307 / 20 = 115.35 is stored as 115.3499…, so
`round(115.35, 1)` gives 115.3 where a person checking by hand, or a spreadsheet, gets 115.4.
"""

from decimal import ROUND_HALF_UP, Decimal


def ratio(numerator, denominator, places: int) -> float:
    """numerator ÷ denominator to `places` decimals, halves away from zero; 0 when the denominator is 0."""
    if not denominator:
        return 0
    quotient = exact(numerator) / exact(denominator)
    return float(quotient.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def percent(numerator, denominator=1, places: int = 1) -> float:
    """numerator ÷ denominator as a percent (0.3035 → 30.4), multiplied before it is rounded."""
    return ratio(exact(numerator) * 100, denominator, places)


def exact(value) -> Decimal:
    """A number as a Decimal; a float through its shortest text (0.3035, not 0.30349999…), which is what was meant."""
    return Decimal(str(value)) if isinstance(value, float) else Decimal(value)
