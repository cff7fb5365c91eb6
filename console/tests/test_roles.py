"""The role → capability → scope tables in console/roles.py (pure; no database)."""

import pytest

from console.roles import ASSIGNABLE_ROLES, Capability, Role, Scope, role_can, scopes_for_role

C = Capability
CAPABILITIES = {
    Role.OWNER: set(C),
    Role.ADMIN: set(C),
    Role.DEVELOPER: {C.VIEW, C.WRITE_PROGRAMS, C.READ_STATS},
    Role.OPERATOR: {C.VIEW, C.DISTRIBUTE, C.READ_STATS},
    Role.VIEWER: {C.VIEW},
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("capability", list(Capability))
def test_role_capability_matrix(role, capability):
    assert role_can(role, capability) is (capability in CAPABILITIES[role])


def test_an_unknown_role_can_do_nothing():
    assert not any(role_can("intern", cap) for cap in Capability)


@pytest.mark.parametrize(
    "role, scopes",
    [
        (Role.OWNER, ["org:read", "programs:read", "programs:write", "distribution:write", "stats:read",
                      "webhooks:write", "members:write", "api_keys:write"]),
        (Role.ADMIN, ["org:read", "programs:read", "programs:write", "distribution:write", "stats:read",
                      "webhooks:write", "members:write", "api_keys:write"]),
        (Role.DEVELOPER, ["org:read", "programs:read", "programs:write", "stats:read"]),
        (Role.OPERATOR, ["org:read", "programs:read", "distribution:write", "stats:read"]),
        (Role.VIEWER, ["org:read", "programs:read"]),
    ],
)
def test_scopes_a_role_may_grant(role, scopes):
    assert sorted(scopes_for_role(role)) == sorted(scopes)


def test_every_scope_maps_to_a_capability():
    assert set(scopes_for_role(Role.OWNER)) == {s.value for s in Scope}


def test_only_an_owner_may_hand_out_the_owner_role():
    assert Role.OWNER in ASSIGNABLE_ROLES[Role.OWNER]
    assert Role.OWNER not in ASSIGNABLE_ROLES[Role.ADMIN]
    assert set(ASSIGNABLE_ROLES[Role.ADMIN]) == {Role.ADMIN, Role.DEVELOPER, Role.OPERATOR, Role.VIEWER}
    assert set(ASSIGNABLE_ROLES) == {Role.OWNER, Role.ADMIN}
