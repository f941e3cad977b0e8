"""The world every isolation case runs in: two federations, and callers placed around one union.

Federation A (slug ``a``) has streets ``a-s1`` (the target, "own") and ``a-s2`` (its sibling); ``a-s1``
has a community ``a-s1-c1`` (its child). Federation B (``b``) has ``b-s1``.

Callers, by where their grant sits relative to ``a-s1``:
"""
from collections.abc import Callable
from dataclasses import dataclass, field

CALLERS = {
    "anonymous": None,
    "plain": None,  # signed in, no role anywhere
    "own_admin": ("union_admin", "a-s1"),
    "own_officer": ("union_officer", "a-s1"),
    "parent_admin": ("federation_admin", "a"),
    "child_admin": ("union_admin", "a-s1-c1"),
    "sibling_admin": ("union_admin", "a-s2"),
    "other_fed_admin": ("federation_admin", "b"),
    "operator": None,  # the platform operator: no role in any federation
}


def build_world(make_tree, make_user, grant):
    tenants = make_tree("a/a-s1/a-s1-c1", "a/a-s2", "b/b-s1")
    users = {}
    for name, spec in CALLERS.items():
        if name == "anonymous":
            continue
        users[name] = make_user(name.replace("_", "-"), operator=name == "operator")
        if spec:
            grant(users[name], spec[0], tenants[spec[1]])
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
    """One endpoint called on the target union; ``expect`` maps each caller to a status."""

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
