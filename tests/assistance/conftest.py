import pytest


@pytest.fixture
def district(make_tree, make_user, grant, make_member, db_session):
    """a / s1 / c1, a / s2: handlers at each level, a member of c1 and one of s2."""
    tenants = make_tree("a/s1/c1", "a/s2")
    people = {}
    for slug in ("a", "s1", "s2", "c1"):
        people[slug] = make_user(f"handler-{slug}", display_name=f"Handler {slug}")
        grant(people[slug], "federation_admin" if slug == "a" else "union_admin", tenants[slug])
    people["c1-officer"] = make_user("officer-c1", display_name="Officer C1")
    grant(people["c1-officer"], "union_officer", tenants["c1"])
    people["worker"] = make_user("worker", display_name="Wang Fang")
    make_member(people["worker"], tenants["c1"])
    people["other"] = make_user("other-worker", display_name="Li Lei")
    make_member(people["other"], tenants["s2"])
    people["stranger"] = make_user("stranger")
    db_session.commit()
    return tenants, people
