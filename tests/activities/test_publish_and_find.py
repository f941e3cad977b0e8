"""Publishing, editing, cancelling; who sees what (DESIGN.md idea 3); bad input changes nothing."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.activities.conftest import body, soon
from union_saas.activities.models import Activity, SignUp
from union_saas.core.audit import AuditEntry
from union_saas.core.inbox import Notification


@pytest.fixture
def tree(make_tree):
    return make_tree("fed/street/comm", "fed/street/comm2", "fed/street2", "other/o-street")


def test_union_admin_publishes_an_activity_with_sanitised_markdown(tree, make_user, grant, api, db_session):
    admin = make_user()
    grant(admin, "union_admin", tree["street"])
    response = api(admin).post("/api/v1/tenants/street/activities", json=body(
        description="Bring *friends*.\n\n[Map](https://example.org/map)"))
    assert response.status_code == 201, response.json
    doc = response.json
    assert doc["status"] == "published" and doc["tenant"] == "street" and doc["capacity"] == 20
    assert doc["remaining"] == 20 and doc["confirmed_count"] == 0
    assert "<em>friends</em>" in doc["description_html"]
    assert 'href="https://example.org/map"' in doc["description_html"]
    assert db_session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "activity.create")) is not None


@pytest.mark.parametrize("fields, field", [
    ({"ends_at": soon(40).isoformat()}, "ends_at"),  # before the start
    ({"capacity": 0}, "capacity"),
    ({"capacity": -3}, "capacity"),
    ({"signup_closes_at": soon(49).isoformat()}, "signup_closes_at"),  # after the start
    ({"signup_opens_at": soon(50).isoformat()}, "signup_opens_at"),
    ({"description": "Hello <script>alert(1)</script>"}, "description"),
    ({"description": "<b>bold</b> words"}, "description"),
    ({"description": "[x](javascript:alert(1))"}, "description"),
    ({"scope": "galaxy"}, "scope"),
    ({"starts_at": "2026-12-01T10:00:00"}, "starts_at"),  # no offset
    ({"title": ""}, "title"),
    ({"online_url": "ftp://example.org"}, "online_url"),
])
def test_bad_input_is_refused_and_changes_nothing(tree, make_user, grant, api, db_session, fields, field):
    admin = make_user()
    grant(admin, "union_admin", tree["street"])
    response = api(admin).post("/api/v1/tenants/street/activities", json=body(**fields))
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert all(isinstance(m, str) and len(m) > 3 for m in response.json["errors"][field]), response.json
    assert response.mimetype == "application/problem+json"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Activity)) == 0


def test_platform_scope_needs_activity_manage_at_the_federation_root(tree, make_user, grant, api):
    fed_admin, organiser = make_user(), make_user()
    grant(fed_admin, "federation_admin", tree["fed"])
    grant(organiser, "activity_organizer", tree["fed"])
    assert api(fed_admin).post("/api/v1/tenants/fed/activities", json=body(scope="platform")).status_code == 201
    # A federation-level organiser may publish a street's activity to the whole federation.
    assert api(organiser).post("/api/v1/tenants/street/activities", json=body(scope="platform")).status_code == 201


def test_members_see_their_union_what_ancestors_share_and_everything_platform_wide(
        tree, make_user, make_member, make_activity, api):
    mine = make_activity(tree["comm"], title="comm only")
    sibling = make_activity(tree["comm2"], title="sibling only")
    street_subtree = make_activity(tree["street"], title="street subtree", scope="subtree")
    street_only = make_activity(tree["street"], title="street only", scope="tenant")
    other_subtree = make_activity(tree["street2"], title="street2 subtree", scope="subtree")
    platform = make_activity(tree["street2"], title="platform", scope="platform")
    other_fed = make_activity(tree["other"], title="other federation", scope="platform")
    draft = make_activity(tree["comm"], title="draft", status="draft")
    member = make_user()
    make_member(member, tree["comm"])
    items = api(member).get("/api/v1/activities").json["items"]
    assert {a["title"] for a in items} == {mine.title, street_subtree.title, platform.title}
    for hidden in (sibling, street_only, other_subtree, other_fed, draft):
        assert api(member).get(f"/api/v1/activities/{hidden.id}").status_code == 404
    assert api(member).get(f"/api/v1/activities/{street_subtree.id}").status_code == 200
    # filters: my union / above me
    assert [a["title"] for a in api(member).get("/api/v1/activities?where=mine").json["items"]] == ["comm only"]
    assert [a["title"] for a in api(member).get("/api/v1/activities?where=above").json["items"]] == ["street subtree"]


def test_follower_without_membership_sees_platform_activities_of_followed_federations(
        tree, make_user, make_activity, api, db_session):
    from union_saas.members.models import Follow

    make_activity(tree["comm"], title="comm only")
    make_activity(tree["street2"], title="platform", scope="platform")
    make_activity(tree["other"], title="elsewhere", scope="platform")
    follower, stranger = make_user(), make_user()
    db_session.add(Follow(user_id=follower.id, tenant_id=tree["comm2"].id, root_id=tree["fed"].id))
    db_session.flush()
    assert [a["title"] for a in api(follower).get("/api/v1/activities").json["items"]] == ["platform"]
    assert api(stranger).get("/api/v1/activities").json["items"] == []


def test_organiser_sees_their_drafts_and_members_do_not(tree, make_user, grant, make_member, make_activity, api):
    draft = make_activity(tree["street"], title="draft", status="draft", scope="subtree")
    organiser, member = make_user(), make_user()
    grant(organiser, "activity_organizer", tree["street"])
    make_member(member, tree["comm"])
    assert [a["title"] for a in api(organiser).get("/api/v1/activities").json["items"]] == ["draft"]
    assert api(member).get(f"/api/v1/activities/{draft.id}").status_code == 404
    assert api(organiser).post(f"/api/v1/activities/{draft.id}/publish").status_code == 200
    assert api(member).get(f"/api/v1/activities/{draft.id}").status_code == 200
    assert api(organiser).post(f"/api/v1/activities/{draft.id}/publish").status_code == 409


def test_upcoming_list_is_soonest_first_and_skips_past_ones(tree, make_user, make_member, make_activity, api):
    make_activity(tree["comm"], title="later", starts_at=soon(96))
    make_activity(tree["comm"], title="sooner", starts_at=soon(24))
    make_activity(tree["comm"], title="past", starts_at=soon(-72))
    member = make_user()
    make_member(member, tree["comm"])
    assert [a["title"] for a in api(member).get("/api/v1/activities").json["items"]] == ["sooner", "later"]
    assert len(api(member).get("/api/v1/activities?upcoming=0").json["items"]) == 3


def test_feed_query_count_does_not_grow_with_activities(tree, make_user, make_member, make_activity, api,
                                                        count_queries):
    member = make_user()
    make_member(member, tree["comm"])
    client = api(member)

    def count():
        with count_queries() as counter:
            assert client.get("/api/v1/activities").status_code == 200
        return counter.count

    make_activity(tree["comm"])
    count()  # warm up: the first request loads what later ones find in the session
    few = count()
    for i in range(15):
        make_activity(tree["street"] if i % 2 else tree["fed"], title=f"a{i}", scope="subtree" if i % 2 else "platform")
    assert count() == few
    assert len(client.get("/api/v1/activities").json["items"]) == 16


def test_feed_page_query_count_does_not_grow(tree, make_user, make_member, make_activity, login, count_queries):
    member = make_user()
    make_member(member, tree["comm"])
    client = login(member)
    make_activity(tree["comm"])

    def count():
        with count_queries() as counter:
            assert client.get("/t/comm/activities").status_code == 200
            assert client.get("/t/comm").status_code == 200
        return counter.count

    few = count()
    for i in range(12):
        make_activity(tree["fed"], title=f"a{i}", scope="platform")
    assert count() == few


def test_edit_checks_the_same_rules_and_records_changes(tree, make_user, grant, make_activity, api, db_session):
    activity = make_activity(tree["street"], capacity=10)
    admin = make_user()
    grant(admin, "union_admin", tree["street"])
    db_session.commit()  # a refused request rolls back the session: keep the set-up
    client = api(admin)
    assert client.patch(f"/api/v1/activities/{activity.id}", json={"ends_at": soon(1).isoformat()}).status_code == 422
    # Federation-wide from a street waits for the federation's review (API.md, federation-wide reach).
    asked = client.patch(f"/api/v1/activities/{activity.id}", json={"scope": "platform"})
    assert asked.status_code == 200 and asked.json["reach"] == "pending"
    response = client.patch(f"/api/v1/activities/{activity.id}", json={"title": "Renamed", "capacity": None})
    assert response.status_code == 200 and response.json["title"] == "Renamed" and response.json["capacity"] is None
    entry = db_session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "activity.edit")
                              .order_by(AuditEntry.id.desc()).limit(1))
    assert entry.detail["title"][1] == "Renamed"


def test_cancelling_tells_everyone_signed_up(tree, make_user, grant, make_member, make_activity, api, db_session):
    activity = make_activity(tree["comm"], capacity=1)
    admin, first, second = make_user(), make_user(), make_user()
    grant(admin, "union_admin", tree["comm"])
    for user in (first, second):
        make_member(user, tree["comm"])
        assert api(user).post(f"/api/v1/activities/{activity.id}/signups").status_code == 201
    response = api(admin).post(f"/api/v1/activities/{activity.id}/cancel")
    assert response.status_code == 200 and response.json["status"] == "cancelled"
    told = db_session.scalars(sa.select(Notification.user_id).where(Notification.kind == "activity.cancelled")).all()
    assert sorted(told) == sorted([first.id, second.id])
    assert api(first).get(f"/api/v1/activities/{activity.id}").json["status"] == "cancelled"
    assert api(admin).post(f"/api/v1/activities/{activity.id}/cancel").status_code == 409
    assert api(second).post(f"/api/v1/activities/{activity.id}/signups").status_code == 409
    assert db_session.scalar(sa.select(sa.func.count()).select_from(SignUp)) == 2


def test_pages_publish_through_the_form_and_show_errors(tree, make_user, grant, login_en, db_session):
    admin = make_user()
    grant(admin, "union_admin", tree["street"])
    db_session.commit()
    client = login_en(admin)
    assert client.get("/manage/street/activities/new").status_code == 200
    starts = (soon() + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")
    ends = (soon() + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/manage/street/activities/new", data={
        "title": "Run", "category": "sports", "starts_at": starts, "ends_at": ends, "scope": "tenant"})
    assert response.status_code == 422
    assert "The end must come after the start." in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Activity)) == 0
    response = client.post("/manage/street/activities/new", data={
        "title": "Run", "category": "sports", "starts_at": ends, "ends_at": starts, "scope": "subtree",
        "capacity": "30", "members_only": "on", "status": "draft", "description": "A *short* run"})
    assert response.status_code == 302
    activity = db_session.scalar(sa.select(Activity))
    assert activity.status == "draft" and activity.capacity == 30 and activity.members_only
    # 2026-... local time in Asia/Shanghai is UTC+8
    assert activity.starts_at.utcoffset().total_seconds() == 0
    page = client.get(f"/manage/activities/{activity.id}")
    assert page.status_code == 200 and "Run" in page.get_data(as_text=True)
    assert client.get("/manage/street/activities").status_code == 200
    assert client.get(f"/manage/activities/{activity.id}/edit").status_code == 200


def test_cover_image_type_and_size_are_checked(tree, make_user, grant, make_member, make_activity, api,
                                               db_session, login):
    import io

    activity = make_activity(tree["comm"])
    admin, member = make_user(), make_user()
    grant(admin, "union_admin", tree["comm"])
    make_member(member, tree["comm"])
    db_session.commit()
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    bad = api(admin).post(f"/api/v1/activities/{activity.id}/cover",
                          data={"file": (io.BytesIO(b"<html>not an image"), "x.png")})
    assert bad.status_code == 422 and "cover" in bad.json["errors"]
    big = api(admin).post(f"/api/v1/activities/{activity.id}/cover",
                          data={"file": (io.BytesIO(png + b"\0" * (3 * 1024 * 1024)), "x.png")})
    assert big.status_code == 422
    ok = api(admin).post(f"/api/v1/activities/{activity.id}/cover", data={"file": (io.BytesIO(png), "x.png")})
    assert ok.status_code == 200 and ok.json["cover_url"]
    image = login(member).get(ok.json["cover_url"])
    assert image.status_code == 200 and image.data == png


def test_a_cover_is_known_by_its_content_served_as_an_image_only_and_replaced_for_good(
        tree, make_user, grant, make_member, make_activity, api, db_session, login):
    import io

    import sqlalchemy as sa

    from union_saas.core.files import StoredFile

    activity = make_activity(tree["comm"])
    admin, member = make_user(), make_user()
    grant(admin, "union_admin", tree["comm"])
    make_member(member, tree["comm"])
    db_session.commit()
    jpeg = b"\xff\xd8\xff\xe0" + b"\0" * 100
    first = api(admin).post(f"/api/v1/activities/{activity.id}/cover", data={"file": (io.BytesIO(jpeg), "image")})
    assert first.status_code == 200, first.json  # a phone's camera names it so: the content says JPEG
    image = login(member).get(first.json["cover_url"])
    assert image.status_code == 200 and image.mimetype == "image/jpeg" and image.data == jpeg
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert image.headers["Content-Disposition"].startswith("inline")
    old = db_session.scalar(sa.select(StoredFile.id).order_by(StoredFile.id.desc()))
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    second = api(admin).post(f"/api/v1/activities/{activity.id}/cover", data={"file": (io.BytesIO(png), "x.png")})
    assert second.json["cover_url"] != first.json["cover_url"]
    assert db_session.get(StoredFile, old) is None  # the replaced cover is gone, not left behind
    jpeg_as_png = api(admin).post(f"/api/v1/activities/{activity.id}/cover",
                                  data={"file": (io.BytesIO(jpeg), "photo.png")})
    assert jpeg_as_png.status_code == 422 and "cover" in jpeg_as_png.json["errors"]


def test_partner_organisation_staff_publish_from_their_own_tenant(make_tree, make_user, grant, api):
    tree = make_tree("fed/street/partner", kinds={"partner": "social_org"})
    staff = make_user()
    grant(staff, "partner_staff", tree["partner"])
    created = api(staff).post("/api/v1/tenants/partner/activities", json=body(scope="subtree"))
    assert created.status_code == 201 and created.json["tenant"] == "partner"
    asked = api(staff).post("/api/v1/tenants/partner/activities", json=body(scope="platform"))
    assert asked.status_code == 201 and asked.json["reach"] == "pending"
    assert api(staff).post("/api/v1/tenants/street/activities", json=body()).status_code == 404
