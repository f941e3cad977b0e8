"""What the benchmarks measure, shared by bench/run.py (over HTTP) and bench/profile.py (in-process).

Each target: key, label, path, who asks. Who asks is ``"token:<account>"`` (a bearer token, for /api/v1),
``"session:<account>"`` (a signed-in session cookie, for pages) or None (anonymous). ``{slug}`` is the
federation, ``{member}`` a member of it (see ``accounts``), ``{home}`` that member's union.
"""

TARGETS = [
    ("me", "(b) `GET /api/v1/me`, street admin", "/api/v1/me", "token:{slug}-s01-admin"),
    ("home", "(c) member's home `/t/{home}`", "/t/{home}", "session:{member}"),
    ("feed", "(d) member's activity feed `/t/{home}/activities`", "/t/{home}/activities", "session:{member}"),
    ("apifeed", "(e) `GET /api/v1/activities`, member", "/api/v1/activities?per_page=20", "token:{member}"),
    ("insights", "(f) `/manage/{slug}/insights`, federation admin", "/manage/{slug}/insights",
     "session:{slug}-admin"),
    ("members", "(g) `/manage/{slug}-s01/members`, street admin", "/manage/{slug}-s01/members",
     "session:{slug}-s01-admin"),
    ("groups", "(h) member's interest groups `/groups`", "/groups", "session:{member}"),
    ("apigroups", "(i) `GET /api/v1/groups`, member", "/api/v1/groups?per_page=20", "token:{member}"),
    ("posts", "(j) member's post feed `/t/{home}/posts`", "/t/{home}/posts", "session:{member}"),
    ("apiposts", "(k) `GET /api/v1/tenants/{home}/posts`, member", "/api/v1/tenants/{home}/posts?per_page=20",
     "token:{member}"),
    ("portal", "(l) member's own home `/` (the portal)", "/", "session:{member}"),
    ("me_page", "(m) member's 我的 `/me`", "/me", "session:{member}"),
]


def member_account(conn, slug):
    """(username, home slug) of the seeded member the benchmarks sign in as: the first member (by
    username) of the federation whose union is three levels or more below it (an enterprise union under
    a community: a long path of ancestors, as most members have)."""
    import sqlalchemy as sa

    row = conn.execute(sa.text(
        'SELECT u.username, t.slug FROM membership m JOIN "user" u ON u.id = m.user_id '
        "JOIN tenant t ON t.id = m.tenant_id JOIN tenant r ON r.id = m.root_id "
        "WHERE r.slug = :s AND m.status = 'active' AND u.active AND t.depth >= 3 AND u.username LIKE :p "
        "ORDER BY u.username LIMIT 1"), {"s": slug, "p": f"{slug}-0%"}).first()
    if row is None:
        raise SystemExit(f"no seeded member of {slug!r} three levels down: seed the large data set first")
    return row.username, row.slug


def fill(text, slug, member, home):
    return text.format(slug=slug, member=member, home=home)
