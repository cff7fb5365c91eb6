"""What changed between the last released version and the one in review: now `programs.versiondiff`,
where the code viewer's changes page (a programs page) shares it. Kept so that `reviews.diff` imports work."""

from programs.versiondiff import FileChange, SetChange, VersionDiff, file_changes, set_change, version_diff

__all__ = ["FileChange", "SetChange", "VersionDiff", "file_changes", "set_change", "version_diff"]
