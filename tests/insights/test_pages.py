"""The insights page and its API twin: figures from the rollups, sorting, drill-down, bounded queries."""
import re
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from union_saas.accounts.models import User
from union_saas.core.jobs import JobRecord
from union_saas.insights import services
from union_saas.insights.models import Rollup
from union_saas.members.models import Membership
from union_saas.tenancy import services as tenancy


@pytest.fixture
def world(db_session, make_tree, make_user, make_member, grant):
    t = make_tree("fed/s1/c1", "fed/s2", "other/o1")
    for slug, n in (("s1", 3), ("c1", 2), ("s2", 1), ("o1", 5)):
        for _ in range(n):
            make_member(make_user(), t[slug])
    admin = make_user("fed-admin")
    grant(admin, "federation_admin", t["fed"])
    services.refresh_all(db_session)
    return t, admin


def test_page_shows_headline_and_children_with_links(world, login):
    _t, admin = world
    html = login(admin).get("/manage/fed/insights").get_data(as_text=True)
    assert "/manage/s1/insights" in html and "/manage/s2/insights" in html and "/manage/o1/insights" not in html
    assert ">6<" in html  # 3 + 2 + 1 active members in the federation


def test_children_sort_by_any_column(world, api):
    _t, admin = world
    client = api(admin)
    rows = client.get("/api/v1/tenants/fed/insights?sort=members_active&dir=desc").get_json()["children"]
    assert [r["slug"] for r in rows] == ["s1", "s2"] and rows[0]["figures"]["members_active"] == 5
    rows = client.get("/api/v1/tenants/fed/insights?sort=members_active&dir=asc").get_json()["children"]
    assert [r["slug"] for r in rows] == ["s2", "s1"]
    body = client.get("/api/v1/tenants/fed/insights").get_json()
    assert body["headline"]["members_active"] == 6 and body["headline"]["verification_rate"] == 0
    assert client.get("/api/v1/tenants/fed/insights?sort=verification_rate").status_code == 200


def test_bad_sort_is_refused(world, api, login):
    _t, admin = world
    response = api(admin).get("/api/v1/tenants/fed/insights?sort=password")
    assert response.status_code == 422 and response.get_json()["errors"]
    assert login(admin).get("/manage/fed/insights?sort=password").status_code == 422


def test_refresh_button_starts_the_job(db_session, world, make_user, make_member, login, run_jobs):
    t, admin = world
    make_member(make_user(), t["c1"])
    response = login(admin).post("/manage/s1/insights/refresh")
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    run_jobs()
    db_session.expire_all()
    record = db_session.scalar(sa.select(JobRecord).order_by(JobRecord.created_at.desc()).limit(1))
    assert record.status == "finished"
    assert db_session.get(Rollup, t["fed"].id).members_active == 7


def test_not_computed_yet_says_so(db_session, make_tree, make_user, grant, login):
    t = make_tree("new/n1")
    admin = make_user("new-admin")
    grant(admin, "federation_admin", t["new"])
    html = login(admin).get("/manage/new/insights").get_data(as_text=True)
    assert "/manage/new/insights/refresh" in html and 'class="figures"' not in html


def big_tree(count):
    return {"slug": "big", "name": "Big", "kind": "federation",
            "children": [{"slug": f"b-{i}", "name": f"B {i:05d}", "kind": "street",
                          "children": [{"slug": f"b-{i}-{j}", "name": f"C {j}", "kind": "community"}
                                       for j in range(count // 50 - 1)]} for i in range(50)]}


QUERY_COUNTS = {}


@pytest.mark.parametrize("size", [100, 5000])
def test_page_and_api_do_the_same_queries_at_any_size(size, db_session, make_user, grant, login, api, queries_of):
    tenancy.import_tree(db_session, None, big_tree(size))
    root = tenancy.get_by_slug(db_session, "big")
    assert services.refresh(db_session, root) == size + 1
    admin = make_user("bigadmin")
    grant(admin, "federation_admin", root)
    page, client = login(admin), api(admin)
    counts = queries_of(lambda: page.get("/manage/big/insights"), lambda: page.get("/manage/b-1/insights?sort=followers"),
                        lambda: client.get("/api/v1/tenants/big/insights"))
    QUERY_COUNTS[size] = counts
    if len(QUERY_COUNTS) == 2:
        assert QUERY_COUNTS[100] == QUERY_COUNTS[5000]


def test_trends_per_month_and_by_category(db_session, world, make_user, api, login):
    from datetime import timedelta

    from union_saas.activities.models import Activity, SignUp
    from union_saas.core.db import utcnow

    t, admin = world
    now = utcnow()
    for category in ("sports", "sports", "culture"):
        activity = Activity(tenant_id=t["c1"].id, root_id=t["fed"].id, title="A", category=category,
                            starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=1))
        db_session.add(activity)
        db_session.flush()
        db_session.add(SignUp(activity_id=activity.id, user_id=make_user().id, root_id=t["fed"].id, status="confirmed"))
    db_session.add(Activity(tenant_id=t["o1"].id, root_id=t["other"].id, title="B", category="online",
                            starts_at=now - timedelta(minutes=5), ends_at=now))
    db_session.flush()
    before = api(admin).get("/api/v1/tenants/fed/insights").get_json()["trends"]
    assert before["participations"][-1] == 0  # the page reads the rollups: nothing until they are refreshed
    services.refresh_all(db_session)
    trends = api(admin).get("/api/v1/tenants/fed/insights").get_json()["trends"]
    local = now.astimezone(ZoneInfo("Asia/Shanghai"))
    assert len(trends["months"]) == 12 and trends["months"][-1] == local.strftime("%Y-%m")
    assert trends["members_joined"][-1] == 6 and sum(trends["members_joined"]) == 6
    assert trends["participations"][-1] == 3
    assert trends["categories"] == [{"category": "sports", "activities": 2}, {"category": "culture", "activities": 1}]
    street = api(admin).get("/api/v1/tenants/s2/insights").get_json()["trends"]
    assert street["participations"][-1] == 0 and street["categories"] == [] and street["members_joined"][-1] == 1
    html = login(admin).get("/manage/fed/insights").get_data(as_text=True)
    assert "chart.umd.js" in html and 'id="insights-trends"' in html


def test_chart_library_is_served_with_its_license(client):
    response = client.get("/insights/static/chart.umd.js")
    assert response.status_code == 200 and b"Released under the MIT License" in response.data[:300]


DOMAIN_TABLES = re.compile(r'\b(?:FROM|JOIN)\s+"?(membership|follow|activity|activity_signup|notice_receipt|assignment)"?\b',
                           re.IGNORECASE)


def test_page_api_and_export_read_only_the_rollups(world, login, api, count_queries):
    _t, admin = world
    page, client = login(admin), api(admin)
    with count_queries() as counter:
        assert page.get("/manage/fed/insights?sort=members_recently_active&dir=desc").status_code == 200
        assert client.get("/api/v1/tenants/fed/insights").status_code == 200
        assert client.post("/api/v1/tenants/fed/insights/export", json={}).status_code == 202
    # The management tabs' badges count what waits (requests to review, unread notices...): one query a to-do
    # line, the very queries of the to-do overview's API twin. They are the navigation, not the page's figures.
    with count_queries() as navigation:
        todo = client.get("/api/v1/tenants/fed/todo")
    assert todo.status_code == 200
    counts = [s for s in navigation.statements if DOMAIN_TABLES.search(s)]
    assert len(counts) <= len(todo.get_json()["items"]), counts
    figures = [s for s in counter.statements if s not in counts]
    touched = {m.group(1) for statement in figures for m in DOMAIN_TABLES.finditer(statement)}
    assert touched == set(), touched
    assert any("insights_monthly" in s for s in counter.statements)  # the trends come from their rollups


def test_active_in_the_last_30_days_is_a_headline_figure_and_a_sortable_column(db_session, world, login, api):
    from datetime import timedelta

    from union_saas.core.db import utcnow

    t, admin = world
    member = db_session.scalars(sa.select(Membership).where(Membership.tenant_id == t["s2"].id)).first()
    db_session.get(User, member.user_id).last_login_at = utcnow() - timedelta(days=3)
    services.refresh_all(db_session)
    page = login(admin)
    page.set_cookie("locale", "en")
    html = page.get("/manage/fed/insights").get_data(as_text=True)
    assert "Active in the last 30 days" in html and "sort=members_recently_active" in html
    rows = api(admin).get("/api/v1/tenants/fed/insights?sort=members_recently_active&dir=desc").get_json()
    assert rows["headline"]["members_recently_active"] == 1
    assert [(r["slug"], r["figures"]["members_recently_active"]) for r in rows["children"]] == [("s2", 1), ("s1", 0)]
