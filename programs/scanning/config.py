"""What a scan is allowed to cost and what it checks against.

The defaults follow the product spec (§4). The worker builds a config from the program's and the
host's data and passes it through JSON (`to_dict`/`from_dict`), so everything here is plain data.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields

from .personal_info import PERSONAL_INFO_KINDS

KB = 1024
MB = 1024 * 1024

NETWORK_KINDS = ("request", "upload", "download", "socket")

DEFAULT_SIZE_LIMITS: dict[str, dict[str, int]] = {
    "alipay": {"main": 2 * MB, "subpackage": 2 * MB, "full": 8 * MB},
    "wechat": {"main": 2 * MB, "subpackage": 2 * MB, "full": 30 * MB},
    "douyin": {"main": 4 * MB, "subpackage": 2 * MB, "full": 16 * MB},
    "baidu": {"main": 2 * MB, "subpackage": 2 * MB, "full": 8 * MB},
    # Used when the dialect is unknown: the strictest common limits.
    "default": {"main": 2 * MB, "subpackage": 2 * MB, "full": 8 * MB},
}


@dataclass
class ScanConfig:
    """Limits and program data for one scan. `ScanConfig()` is a sensible CLI default.

    `allowed_domains` maps a network kind (request/upload/download/socket) to allowed hosts
    (`api.example.com`, `api.example.com:8443` or a full `https://` URL). `None` means the program's
    allowlist is unknown (a local `scanpackage` run without `--request-domain` & co., which then says so):
    URLs are still checked for http and IP literals, but not against a list. An empty list for a kind
    allows nothing.

    `size_limits` is looked up by `host` first, then by dialect, then `"default"`, so a host can
    override the dialect's limits (SPEC: limits per host and dialect).
    """

    host: str | None = None
    allowed_domains: dict[str, list[str]] | None = None
    size_limits: dict[str, dict[str, int]] = field(default_factory=lambda: copy.deepcopy(DEFAULT_SIZE_LIMITS))
    max_entries: int = 5000
    max_uncompressed_bytes: int = 100 * MB
    max_ratio: int = 100
    # Small files of repeated text legitimately compress beyond 100:1; only large members are bombs.
    ratio_min_bytes: int = 1 * MB
    max_member_bytes: int = 10 * MB
    max_json_depth: int = 20
    time_limit_seconds: float = 120.0
    org_key_prefixes: list[str] = field(default_factory=list)
    tab_icon_max_bytes: int = 40 * KB
    tab_icon_size: int | None = None  # None: the dialect's recommendation (Alipay 60 px, the others 81 px)
    image_max_pixels: int = 25_000_000
    max_findings_per_code: int = 100
    # The program's privacy declaration: personal-information kind (see `personal_info`) -> purpose.
    # None when unknown (a local scanpackage run): code is then not checked against it.
    privacy_declaration: dict[str, str] | None = None

    def __post_init__(self) -> None:
        # Partial limits (e.g. only the rows a host overrides) keep the defaults for the rest.
        self.size_limits = _merge_size_limits(self.size_limits)
        for name in ("max_entries", "max_uncompressed_bytes", "max_ratio", "max_member_bytes", "max_json_depth"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) <= 0:
                raise ValueError(f"ScanConfig.{name} must be a positive integer")
        if self.time_limit_seconds < 0:
            raise ValueError("ScanConfig.time_limit_seconds must not be negative")
        if self.allowed_domains is not None:
            unknown = set(self.allowed_domains) - set(NETWORK_KINDS)
            if unknown:
                raise ValueError(f"ScanConfig.allowed_domains has unknown kinds: {sorted(unknown)}")
        if self.privacy_declaration is not None:
            unknown = set(self.privacy_declaration) - set(PERSONAL_INFO_KINDS)
            if unknown:
                raise ValueError(f"ScanConfig.privacy_declaration has unknown kinds: {sorted(unknown)}")

    def limits_for(self, dialect: str | None) -> dict[str, int]:
        for key in (self.host, dialect, "default"):
            if key and key in self.size_limits:
                return dict(self.size_limits[key])
        return dict(DEFAULT_SIZE_LIMITS["default"])

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ScanConfig:
        """Build a config from JSON data; unknown keys are refused so a typo cannot disable a limit."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"Unknown ScanConfig keys: {sorted(unknown)}")
        return cls(**data)


def _merge_size_limits(overrides: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Partial overrides (`{"wechat": {"full": 20 MB}}`) keep the other defaults."""
    merged = copy.deepcopy(DEFAULT_SIZE_LIMITS)
    for key, limits in (overrides or {}).items():
        merged[key] = {**merged.get(key, DEFAULT_SIZE_LIMITS["default"]), **{k: int(v) for k, v in limits.items()}}
    return merged
