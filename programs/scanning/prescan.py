"""The per-file passes that need nothing but the file, run on each member as soon as it is read.

Secrets and risky calls are found the same way whatever the dialect or root turns out to be, so
they run while the other members are still inflating: inflating and hashing release the GIL on
their threads, and these regular-expression passes fill the main thread meanwhile. The secrets and
code stages then use the results for the files that turn out to be shipped scripts and texts.
"""

from __future__ import annotations

import re

from .code_risks import Call, is_typescript, risky_uses
from .config import ScanConfig
from .findings import Finding
from .jssource import Script, member_script
from .leaks import org_key_pattern, secrets_in
from .package import SCRIPT_EXTENSIONS, TEXT_EXTENSIONS, Member, extension
from .sizes import never_shipped


class Prescan:
    """Called with each member in archive order; keeps secret findings and risky calls by name."""

    def __init__(self, config: ScanConfig) -> None:
        self.org_keys: re.Pattern | None = org_key_pattern(config.org_key_prefixes)
        self.secrets: dict[str, list[Finding]] = {}
        self.calls: dict[str, list[Call]] = {}

    def __call__(self, member: Member) -> None:
        kind = extension(member.name)
        if member.data is None or kind not in TEXT_EXTENSIONS or never_shipped(member.name):
            return  # node_modules/, dot-folders, source maps … are never searched, read early or late
        script: Script = member_script(member)
        self.secrets[member.name] = secrets_in(script, self.org_keys)
        if kind in SCRIPT_EXTENSIONS:
            self.calls[member.name] = risky_uses(script.text, is_typescript(member.name))
