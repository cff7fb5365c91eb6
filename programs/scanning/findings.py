"""The vocabulary every check speaks: severities and findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    """How much a finding matters. Only errors block a submission."""

    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTICE: 2}


@dataclass(frozen=True)
class Finding:
    """One linter-style message about a package.

    `file` is the member's path inside the archive; `line` and `column` are 1-based and
    present only where the check could pin the problem down. `message` is English; `params` are the
    values the code's message templates need to say the same in another language (see `messages`).
    """

    code: str
    severity: Severity
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    params: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict:
        data = {"code": self.code, "severity": self.severity.value, "message": self.message, "file": self.file,
                "line": self.line, "column": self.column}
        if self.params:
            data["params"] = dict(self.params)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        return cls(
            code=data["code"],
            severity=Severity(data["severity"]),
            message=data["message"],
            file=data.get("file"),
            line=data.get("line"),
            column=data.get("column"),
            params=dict(data.get("params") or {}),
        )

    @property
    def sort_key(self) -> tuple:
        return (self.severity.rank, self.file or "", self.line or 0, self.column or 0, self.code, self.message)
