"""Organisation roles and what each may do.

Roles are a fixed part of the product contract (SPEC §2), so they live in code;
what a role may do is looked up here and nowhere else.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    DEVELOPER = "developer", _("Developer")
    OPERATOR = "operator", _("Operator")
    VIEWER = "viewer", _("Viewer")


class Capability(models.TextChoices):
    VIEW = "view", _("See the organisation's programs, versions and audit log")
    MANAGE_ORG = "manage_org", _("Edit the organisation and its settings")
    MANAGE_MEMBERS = "manage_members", _("Invite and remove members")
    MANAGE_API_KEYS = "manage_api_keys", _("Create and revoke API keys")
    WRITE_PROGRAMS = "write_programs", _("Create programs, upload and submit versions")
    DISTRIBUTE = "distribute", _("Request distribution scenes")
    READ_STATS = "read_stats", _("Read statistics")


_ALL = set(Capability)
ROLE_CAPABILITIES: dict[str, set[str]] = {
    Role.OWNER: _ALL,
    Role.ADMIN: _ALL,
    Role.DEVELOPER: {Capability.VIEW, Capability.WRITE_PROGRAMS, Capability.READ_STATS},
    Role.OPERATOR: {Capability.VIEW, Capability.DISTRIBUTE, Capability.READ_STATS},
    Role.VIEWER: {Capability.VIEW},
}

# Which roles an inviter of a given role may hand out: only an owner makes owners.
ASSIGNABLE_ROLES: dict[str, list[str]] = {
    Role.OWNER: [r.value for r in Role],
    Role.ADMIN: [Role.ADMIN, Role.DEVELOPER, Role.OPERATOR, Role.VIEWER],
}


def role_can(role: str, capability: str) -> bool:
    return capability in ROLE_CAPABILITIES.get(role, set())


class Scope(models.TextChoices):
    """API key scopes. A key may hold a scope only if its creator's role allows the capability."""

    ORG_READ = "org:read", _("Read the organisation, members and audit log")
    PROGRAMS_READ = "programs:read", _("Read programs, versions and scan reports")
    PROGRAMS_WRITE = "programs:write", _("Create programs, upload, submit and release versions")
    DISTRIBUTION_WRITE = "distribution:write", _("Request distribution scenes")
    STATS_READ = "stats:read", _("Read statistics")
    WEBHOOKS_WRITE = "webhooks:write", _("Manage webhook endpoints and read their deliveries")
    MEMBERS_WRITE = "members:write", _("Invite members, change their roles and remove them")
    API_KEYS_WRITE = "api_keys:write", _("List and revoke API keys (keys are created on the API keys page)")


SCOPE_CAPABILITY: dict[str, str] = {
    Scope.ORG_READ: Capability.VIEW,
    Scope.PROGRAMS_READ: Capability.VIEW,
    Scope.PROGRAMS_WRITE: Capability.WRITE_PROGRAMS,
    Scope.DISTRIBUTION_WRITE: Capability.DISTRIBUTE,
    Scope.STATS_READ: Capability.READ_STATS,
    Scope.WEBHOOKS_WRITE: Capability.MANAGE_ORG,  # as the webhooks pages: their secrets sign what receivers trust
    Scope.MEMBERS_WRITE: Capability.MANAGE_MEMBERS,
    Scope.API_KEYS_WRITE: Capability.MANAGE_API_KEYS,
}


def scopes_for_role(role: str) -> list[str]:
    return [scope for scope, cap in SCOPE_CAPABILITY.items() if role_can(role, cap)]


class StaffGroup:
    """Names of the Django groups that make a user platform staff."""

    REVIEWERS = "reviewers"
    OPERATORS = "platform operators"
    ADMINS = "admins"
    ALL = (REVIEWERS, OPERATORS, ADMINS)
