"""The world every isolation case runs in: two federations, and callers placed around one union.

Federation A (slug ``a``) has streets ``a-s1`` (the target, "own") and ``a-s2`` (its sibling); ``a-s1``
has a community ``a-s1-c1`` (its child). Federation B (``b``) has ``b-s1``.

Callers, by where their grant sits relative to ``a-s1``:
"""
from collections.abc import Callable
from dataclasses import dataclass, field

CALLERS = {
    "anonymous": None,
    "plain": None,  # signed in, no role anywhere, no membership
    "own_admin": ("union_admin", "a-s1"),
    "own_officer": ("union_officer", "a-s1"),
    "parent_admin": ("federation_admin", "a"),
    "child_admin": ("union_admin", "a-s1-c1"),
    "sibling_admin": ("union_admin", "a-s2"),
    "other_fed_admin": ("federation_admin", "b"),
    "operator": None,  # the platform operator: no role in any federation
}
# Workers with an active membership and no role, by where their union sits relative to a-s1.
MEMBERS = {
    "member_own": "a-s1",
    "member_child": "a-s1-c1",
    "member_parent": "a",
    "member_sibling": "a-s2",
    "member_other": "b-s1",
}
# Whom a record of a-s1 with each scope reaches among them (DESIGN.md idea 3, written out for the test).
REACHED = {
    "tenant": {"member_own"},
    "subtree": {"member_own", "member_child"},
    "platform": {"member_own", "member_child", "member_parent", "member_sibling"},
}
ALL_CALLERS = (*CALLERS, *MEMBERS)


def build_world_in(session):
    """Federations ``a`` and ``b``, and a user for every caller, flushed in ``session``."""
    from tests.conftest import _password_hash
    from union_saas.access.models import Grant
    from union_saas.accounts.models import User
    from union_saas.members.models import Membership
    from union_saas.tenancy import services as tenancy

    tenants = {}
    for path in ("a/a-s1/a-s1-c1", "a/a-s2", "b/b-s1"):
        parent = None
        for depth, slug in enumerate(path.split("/")):
            if slug not in tenants:
                kind = ("street", "community")[depth - 1] if depth else None
                tenants[slug] = (tenancy.create_federation(session, None, slug=slug, name=slug.title()) if parent is None
                                 else tenancy.create_child(session, None, parent, slug=slug, name=slug.title(), kind=kind))
            parent = tenants[slug]
    users = {}
    for name in (*CALLERS, *MEMBERS):
        if name == "anonymous":
            continue
        users[name] = User(username=name.replace("_", "-"), display_name=name.replace("_", " ").title(),
                           is_operator=name == "operator", password_hash=_password_hash())
        session.add(users[name])
    session.flush()
    for name, spec in CALLERS.items():
        if spec:
            tenant = tenants[spec[1]]
            session.add(Grant(user_id=users[name].id, role=spec[0], tenant_id=tenant.id, root_id=tenant.root_id))
    for name, slug in MEMBERS.items():
        tenant = tenants[slug]
        session.add(Membership(user_id=users[name].id, tenant_id=tenant.id, root_id=tenant.root_id, status="active"))
    session.flush()
    return World(tenants, users)


@dataclass
class World:
    tenants: dict
    users: dict
    extra: dict = field(default_factory=dict)

    def fmt(self, template):
        return template.format(own="a-s1", child="a-s1-c1", sibling="a-s2", parent="a", other="b-s1", **self.extra)


@dataclass
class Case:
    """One endpoint called on the target union; ``expect`` maps each caller to a status.

    The members' expectations (``MEMBERS``) follow from the route's declared access unless ``members``
    gives them (``test_matrix.expected``): members hold no role, so whatever needs a permission answers them
    404; a record visible to its audience (``audience``: the scope of the record ``setup`` made at a-s1)
    answers ``member_ok`` to the members its scope reaches; an open route answers them as it answers
    ``plain``.
    """

    endpoint: str  # Flask endpoint name
    method: str
    path: str  # formatted with World.fmt
    expect: dict
    body: Callable | dict | None = None
    setup: Callable | None = None  # (world, session) -> dict of extra format values
    page: bool = False  # a page: anonymous is redirected to sign in (302)
    form: bool = False  # send ``body`` as form data
    files: Callable | None = None  # () -> dict of multipart files
    id: str = ""
    members: dict | None = None  # member caller -> status, where the rule above does not say it
    audience: str | None = None  # scope of the case's record, for a route visible to its audience
    member_ok: int | None = None  # what a member the audience reaches gets (default: own_admin's status)

    def __post_init__(self):
        missing = set(CALLERS) - set(self.expect)
        if missing:
            raise ValueError(f"{self.endpoint}: no expectation for {sorted(missing)}")


def managed(ok, *, officer=None, child=404):
    """The usual expectation for an action on ``a-s1`` needing a permission union admins hold.

    ``officer``: what a union officer at a-s1 gets (403 when the officer role lacks the permission).
    """
    return {
        "anonymous": 401,
        "plain": 404,
        "own_admin": ok,
        "own_officer": ok if officer is None else officer,
        "parent_admin": ok,
        "child_admin": child,
        "sibling_admin": 404,
        "other_fed_admin": 404,
        "operator": 404,
    }


def everyone(status, anonymous=401):
    return {name: (anonymous if name == "anonymous" else status) for name in CALLERS}


def members(status, **overrides):
    """Every member caller gets ``status`` (``overrides``: some of them something else)."""
    return {**{name: status for name in MEMBERS}, **overrides}
