"""At 5,000 tenants the rollups stay one grouped query: the query counts do not grow with the tree."""
import pytest
import sqlalchemy as sa

from tests.office import helpers
from union_saas.core import jobs
from union_saas.office import services
from union_saas.office.models import NoticeReceipt
from union_saas.tenancy import services as tenancy

STREETS, COMMUNITIES = 50, 100  # 1 + 50 + 5,000 tenants


def district(session, slug, streets, communities):
    tree = {"slug": slug, "name": slug.title(), "kind": "federation", "children": [
        {"slug": f"{slug}-s{i}", "name": f"Street {i}", "kind": "street", "children": [
            {"slug": f"{slug}-s{i}-c{j}", "name": f"Community {i}-{j}", "kind": "community"}
            for j in range(communities)]} for i in range(streets)]}
    tenancy.import_tree(session, None, tree)
    return tenancy.get_by_slug(session, slug)


@pytest.fixture(scope="module")
def sizes():
    return {}


def measure(root, db_session, make_user, grant, api, login, count_queries, run_job):
    """Send a notice and a task to the whole district, read some, then count the queries of each rollup call."""
    admin = make_user(f"admin-{root.slug}")
    grant(admin, "federation_admin", root)
    street = tenancy.get_by_slug(db_session, f"{root.slug}-s1")
    street_admin = make_user(f"admin-{street.slug}")
    grant(street_admin, "union_admin", street)
    notice = helpers.send(db_session, root, "subtree", requires_ack=True)
    task = helpers.assign(db_session, root, "subtree", fields=[{"name": "n", "kind": "number", "required": True}])
    first = tenancy.get_by_slug(db_session, f"{root.slug}-s1-c1")
    reader = make_user(f"reader-{root.slug}")
    grant(reader, "union_officer", first)
    assert services.mark_read(db_session, reader, first, services.receipt_of(db_session, notice.id, first))
    db_session.commit()
    calls = {
        "receipts api": (api(admin), f"/api/v1/notices/{notice.id}/receipts?under={root.slug}&per_page=200"),
        "receipts api, street": (api(street_admin),
                                 f"/api/v1/notices/{notice.id}/receipts?under={street.slug}&per_page=200"),
        "receipts page": (login(admin), f"/manage/{root.slug}/office/notices/{notice.id}/receipts"),
        "progress api": (api(admin), f"/api/v1/tasks/{task.id}/progress?under={root.slug}&per_page=200"),
        "progress page": (login(admin), f"/manage/{root.slug}/office/tasks/{task.id}/progress"),
        "sent page": (login(admin), f"/manage/{root.slug}/office/sent"),
        "tasks page": (login(admin), f"/manage/{root.slug}/office/tasks"),
        "inbox page": (login(street_admin), f"/manage/{street.slug}/office"),
    }
    out = {}
    for name, (client, path) in calls.items():
        with count_queries() as counter:
            response = client.get(path)
        assert response.status_code == 200, (name, response.get_data(as_text=True)[:300])
        out[name] = counter.count
    return out, notice, api(admin)


def test_rollups_do_the_same_few_queries_at_5000_tenants_as_at_6(db_session, make_user, grant, api, login,
                                                                 count_queries, run_job):
    small = district(db_session, "tiny", 2, 2)
    large = district(db_session, "big", STREETS, COMMUNITIES)
    assert db_session.scalar(sa.select(sa.func.count()).where(NoticeReceipt.id > 0)) == 0
    small_counts, _n, _c = measure(small, db_session, make_user, grant, api, login, count_queries, run_job)
    large_counts, notice, client = measure(large, db_session, make_user, grant, api, login, count_queries, run_job)
    assert large_counts == small_counts, (small_counts, large_counts)
    # A page adds its management navigation: a query per to-do line of its badges (one per module that has one).
    from union_saas.tenancy import sections

    assert all(n <= 16 + (len(sections.TODOS) if name.endswith("page") else 0) for name, n in large_counts.items()), \
        large_counts
    print("queries per call at 5,051 tenants:", large_counts)
    rows = client.get(f"/api/v1/notices/{notice.id}/receipts?under=big&per_page=200").get_json()
    assert rows["total"] == STREETS
    assert rows["items"][1] == {"tenant": "big-s1", "name": "Street 1", "addressed": COMMUNITIES + 1, "read": 1,
                                "acked": 0}


def test_sending_to_5000_unions_does_not_do_the_fan_out_in_the_request(db_session, make_user, grant, api,
                                                                       count_queries, run_job, monkeypatch):
    root = district(db_session, "big", STREETS, COMMUNITIES)
    admin = make_user("big-admin")
    grant(admin, "federation_admin", root)
    db_session.commit()
    queued = []
    monkeypatch.setattr(jobs, "dispatch_pending", lambda: queued.extend(__import__("flask").g.pop("pending_jobs", [])))
    with count_queries() as counter:
        response = api(admin).post("/api/v1/tenants/big/notices", json={"title": "All hands", "to": "subtree"})
    assert response.status_code == 202 and response.get_json()["notice"]["addressed_count"] == 5050
    assert counter.count <= 12, counter.statements
    assert db_session.scalar(sa.select(sa.func.count()).select_from(NoticeReceipt)) == 0
    monkeypatch.undo()
    record = run_job(response.get_json()["job"])
    assert record.status == "finished" and record.result == {"addressed": 5050, "created": 5050}
    assert db_session.scalar(sa.select(sa.func.count()).select_from(NoticeReceipt)) == 5050
