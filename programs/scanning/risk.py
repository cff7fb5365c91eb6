"""The risk score: a sum of weights with its breakdown, in the spirit of AMO's auto-approval weight.

Each finding code adds its registered weight once, however often it occurs (the count is in the
reason); capability signals (location, phone number, many domains ...) add theirs. The review queue
orders by the score and the auto-approval policy compares it with a threshold, so both can explain
themselves from the breakdown.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .codes import FINDING_CODES, RISK_SIGNALS
from .findings import Finding
from .sizes import Sizes

FREE_DOMAINS = 3
MAX_DOMAIN_MULTIPLIER = 10
SIGNAL_REASONS = {
    "signal.location": "Uses or declares location APIs.",
    "signal.phone_number": "Asks for the user's phone number.",
    "signal.camera_or_microphone": "Uses the camera or records audio.",
}


@dataclass(frozen=True)
class RiskItem:
    code: str
    weight: int
    reason: str  # English; `messages.render_reason` says it in Chinese from the code and params
    params: dict = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict:
        return {"code": self.code, "weight": self.weight, "reason": self.reason, "params": dict(self.params)}


@dataclass
class RiskScore:
    score: int = 0
    breakdown: list[RiskItem] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"score": self.score, "breakdown": [item.to_dict() for item in self.breakdown]}

    @classmethod
    def from_dict(cls, data: dict) -> RiskScore:
        return cls(data.get("score", 0), [RiskItem(**item) for item in data.get("breakdown", [])])


def assess_risk(findings: list[Finding], signals: set[str], domains: list[str], sizes: Sizes | None) -> RiskScore:
    items = _finding_items(findings) + _signal_items(signals, domains, sizes)
    items.sort(key=lambda item: (-item.weight, item.code))
    return RiskScore(sum(item.weight for item in items), items)


def _finding_items(findings: list[Finding]) -> list[RiskItem]:
    counts = Counter(finding.code for finding in findings)
    items = []
    for code, count in counts.items():
        entry = FINDING_CODES[code]
        if entry.weight:
            times = f"{count}x " if count > 1 else ""
            items.append(RiskItem(code, entry.weight, f"{times}{entry.title}", {"count": count}))
    return items


def _signal_items(signals: set[str], domains: list[str], sizes: Sizes | None) -> list[RiskItem]:
    items = [RiskItem(code, RISK_SIGNALS[code].weight, SIGNAL_REASONS[code]) for code in sorted(signals)]
    extra_domains = len(domains) - FREE_DOMAINS
    if extra_domains > 0:
        weight = RISK_SIGNALS["signal.many_domains"].weight * min(extra_domains, MAX_DOMAIN_MULTIPLIER)
        items.append(RiskItem("signal.many_domains", weight, f"Code talks to {len(domains)} domains.",
                              {"domains": len(domains)}))
    if sizes is not None and sizes.near_limit:
        items.append(RiskItem(
            "signal.near_size_limit", RISK_SIGNALS["signal.near_size_limit"].weight,
            f"{sizes.full:,} bytes is close to the {sizes.limits['full']:,}-byte limit.",
            {"size": f"{sizes.full:,}", "limit": f"{sizes.limits['full']:,}"}))
    return items
