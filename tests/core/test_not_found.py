"""A record that exists but is hidden from the caller and one that does not exist answer the same 404
body, page or API: nothing tells them apart."""
import pytest

from union_saas.core.jobs import JobRecord


@pytest.fixture
def world(make_tree, make_user, grant, make_member, db_session):
    tenants = make_tree("fed/mine", "fed/theirs")
    me, them = make_user("me-admin"), make_user("them-admin")
    grant(me, "union_admin", tenants["mine"])
    their_grant = grant(them, "union_admin", tenants["theirs"])
    member = make_member(make_user("their-member"), tenants["theirs"])
    job = JobRecord(kind="union_saas.tenancy.tasks:import_tree", owner_id=them.id, status="finished")
    db_session.add(job)
    db_session.flush()
    return {"me": me, "grant": their_grant.id, "member": member.id, "job": job.id}


def body(response):
    assert response.status_code == 404, response.get_data(as_text=True)[:300]
    if response.is_json:
        return response.get_json()
    html = response.get_data(as_text=True)  # the page's own content (the header links back to this path)
    return html[html.index("<main"):html.index("</main>")]


@pytest.mark.parametrize("hidden, missing", [
    ("/api/v1/tenants/theirs/grants", "/api/v1/tenants/nowhere/grants"),
    ("/api/v1/members/{member}", "/api/v1/members/999999"),
    ("/api/v1/jobs/{job}", "/api/v1/jobs/no-such-job"),
    ("/api/v1/tenants/theirs/members", "/api/v1/no/such/route"),
])
def test_the_api_answers_one_404_for_hidden_and_missing(world, api, hidden, missing):
    client = api(world["me"])
    assert body(client.get(hidden.format(**world))) == body(client.get(missing.format(**world)))


def test_deleting_a_hidden_grant_and_a_missing_one_answer_alike(world, api):
    client = api(world["me"])
    assert body(client.delete(f"/api/v1/grants/{world['grant']}")) == body(client.delete("/api/v1/grants/999999"))


@pytest.mark.parametrize("hidden, missing", [
    ("/manage/theirs", "/manage/nowhere"),
    ("/manage/theirs/members", "/manage/nowhere/members"),
    ("/jobs/{job}", "/jobs/no-such-job"),
])
def test_pages_answer_one_404_for_hidden_and_missing(world, login, hidden, missing):
    client = login(world["me"])
    assert body(client.get(hidden.format(**world))) == body(client.get(missing.format(**world)))
