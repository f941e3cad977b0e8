"""The groups and awards pages: the forms shown again with what was typed and the messages, the flows."""
from datetime import timedelta

import sqlalchemy as sa

from union_saas.core.db import utcnow
from union_saas.groups.models import (
    AwardCategory,
    AwardRound,
    Group,
    GroupMember,
    Nomination,
    Score,
)
from union_saas.tenancy import sections


def en(client):
    client.set_cookie("locale", "en")
    return client


def test_starting_a_group_from_the_form(login, place, db_session):
    page = en(login(place.u["worker"]))
    form = page.get("/t/street/groups/new")
    assert form.status_code == 200 and "the union reviews it" in form.get_data(as_text=True)
    bad = page.post("/t/street/groups/new", data={"name": " ", "description": "Typed text", "category": "sports",
                                                  "join_policy": "never", "scope": "tenant"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "Typed text" in text and 'aria-invalid="true"' in text
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Group)) == 0
    ok = page.post("/t/street/groups/new", data={"name": "Chess", "description": "", "category": "learning",
                                                 "join_policy": "open", "scope": "tenant"})
    assert ok.status_code == 302
    twice = page.post("/t/street/groups/new", data={"name": "CHESS", "category": "learning",
                                                    "join_policy": "open", "scope": "tenant"})
    assert twice.status_code == 409 and "CHESS" in twice.get_data(as_text=True)


def test_join_and_leave_from_the_group_page(login, place, make_group, db_session):
    group = make_group(place.t["street"], place.u["worker"])
    page = en(login(place.u["worker2"]))
    text = page.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "Join" in text and "Hiking club" in text
    assert page.post(f"/groups/{group.id}/join").status_code == 302
    assert page.post(f"/groups/{group.id}/join").status_code == 409  # joining twice
    assert db_session.scalar(sa.select(sa.func.count()).select_from(GroupMember).where(
        GroupMember.group_id == group.id)) == 2
    assert "Hiking club" in page.get("/me/groups").get_data(as_text=True)
    assert page.post(f"/groups/{group.id}/leave").status_code == 302
    assert "Hiking club" not in page.get("/me/groups").get_data(as_text=True)


def test_organisers_invite_and_share_a_link_with_its_qr(login, place, make_group):
    group = make_group(place.t["street"], place.u["worker"], join_policy="invite")
    page = en(login(place.u["worker"]))
    bad = page.post(f"/groups/{group.id}/invite", data={"username": "ghost"})
    assert bad.status_code == 422 and "ghost" in bad.get_data(as_text=True)
    shared = page.post(f"/groups/{group.id}/share")
    text = shared.get_data(as_text=True)
    assert shared.status_code == 200 and "<svg" in text and f"/groups/{group.id}/invitation/" in text
    url = text.split(f"/groups/{group.id}/invitation/")[1].split("<")[0]
    guest = en(login(place.u["worker2"]))
    landing = guest.get(f"/groups/{group.id}/invitation/{url}")
    assert "Accept the invitation" in landing.get_data(as_text=True)
    assert guest.post(f"/groups/{group.id}/join", data={"code": url}).status_code == 302
    other = en(login(place.u["juror"]))
    assert other.post(f"/groups/{group.id}/join", data={"code": url}).status_code == 409  # used already
    assert other.post(f"/groups/{group.id}/join", data={"code": "forged"}).status_code == 422


def test_a_group_activity_form_keeps_what_was_typed(login, place, make_group):
    group = make_group(place.t["street"], place.u["worker"])
    page = en(login(place.u["worker"]))
    starts = utcnow() + timedelta(days=2)
    bad = page.post(f"/groups/{group.id}/activities/new", data={
        "title": "Hike to the hills", "category": "sports", "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")})
    assert bad.status_code == 422 and "Hike to the hills" in bad.get_data(as_text=True)
    ok = page.post(f"/groups/{group.id}/activities/new", data={
        "title": "Hike to the hills", "category": "sports", "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"), "capacity": "12"})
    assert ok.status_code == 302
    assert "Hike to the hills" in page.get(f"/groups/{group.id}").get_data(as_text=True)


def test_oversight_review_and_archive_pages(login, place, make_group, db_session):
    pending = make_group(place.t["community"], place.u["community_worker"], name="Proposed", status="pending")
    active = make_group(place.t["street"], place.u["worker"], name="Running")
    admin = en(login(place.u["street_admin"]))
    text = admin.get("/manage/street/groups").get_data(as_text=True)
    assert "Proposed" in text and "Running" in text
    assert admin.post(f"/manage/groups/{pending.id}/approve").status_code == 302
    bad = admin.post(f"/manage/groups/{active.id}/archive", data={"reason": "  "})
    assert bad.status_code == 422
    assert db_session.get(Group, active.id).status == "active"
    assert admin.post(f"/manage/groups/{active.id}/archive", data={"reason": "Nobody came"}).status_code == 302
    db_session.expire_all()
    assert db_session.get(Group, active.id).status == "archived"


def test_the_awards_pages_from_opening_to_results(login, place, make_group, db_session):
    admin = en(login(place.u["street_admin"]))
    now = utcnow()
    bad = admin.post("/manage/street/award-rounds/new", data={
        "title": "Awards", "year": str(now.year), "nominations_close": (now + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
        "judging_close": (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"), "category_0_name": "Members",
        "category_0_kind": "individual", "category_0_places": "2"})
    assert bad.status_code == 422 and "Judging must close after nominations close." in bad.get_data(as_text=True)
    ok = admin.post("/manage/street/award-rounds/new", data={
        "title": "Awards", "year": str(now.year), "nominations_close": (now + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
        "judging_close": (now + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M"), "category_0_name": "Members",
        "category_0_kind": "individual", "category_0_places": "2"})
    assert ok.status_code == 302
    rnd = db_session.scalar(sa.select(AwardRound))
    group = make_group(place.t["street"], place.u["worker"], name="Runners")
    organiser = en(login(place.u["worker"]))
    detail = organiser.get(f"/award-rounds/{rnd.id}").get_data(as_text=True)
    assert "Nominate a group" in detail and "Runners" in detail
    unknown = organiser.post(f"/award-rounds/{rnd.id}/nominate", data={"group": group.id, "category": 0,
                                                                     "statement": "We run"})
    assert unknown.status_code == 422 and "We run" in unknown.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Nomination)) == 0
    category = db_session.scalar(sa.select(AwardCategory.id).where(AwardCategory.round_id == rnd.id))
    assert organiser.post(f"/award-rounds/{rnd.id}/nominate", data={
        "group": group.id, "category": category, "statement": "We run"}).status_code == 302
    assert admin.post(f"/award-rounds/{rnd.id}/jurors", data={"username": "juror"}).status_code == 302
    rnd.nominations_close, rnd.judging_close = now - timedelta(days=1), now + timedelta(days=3)
    db_session.flush()
    juror = en(login(place.u["juror"]))
    nid = db_session.scalar(sa.select(Nomination.id))
    high = juror.post(f"/nominations/{nid}/score", data={"score": "140", "comment": "Wow"})
    assert high.status_code == 422 and "A score from 0 to 100." in high.get_data(as_text=True)
    assert juror.post(f"/nominations/{nid}/score", data={"score": "88", "comment": "Wow"}).status_code == 302
    assert db_session.scalar(sa.select(Score.score)) == 88
    assert admin.post(f"/award-rounds/{rnd.id}/publish").status_code == 409  # judging still open
    rnd.judging_close = now - timedelta(hours=1)
    db_session.flush()
    assert admin.post(f"/award-rounds/{rnd.id}/publish").status_code == 302
    results = en(login(place.u["worker2"])).get(f"/award-rounds/{rnd.id}/results").get_data(as_text=True)
    assert "Runners" in results and "Awarded" in results and "88.00" in results


def test_the_plug_ins_are_registered(login, place, make_group, db_session):
    assert "my_groups" in sections.ME_ENTRIES and "groups" in sections.SERVICES
    assert "groups" in sections.SECTIONS
    assert any(tab.endpoint == "groups.oversight" and tab.count for tab in sections.MANAGE_TABS)
    make_group(place.t["street"], place.u["worker"], name="Tea club", scope="tenant")
    home = en(login(place.u["worker2"])).get("/t/street").get_data(as_text=True)
    assert "Tea club" in home
    make_group(place.t["street"], place.u["worker2"], name="Waiting", status="pending")
    text = en(login(place.u["street_admin"])).get("/manage/street/groups").get_data(as_text=True)
    assert 'title="Waiting for you">1<' in text


def test_a_members_group_organiser_runs_its_activities_pages(login, api, place, make_group):
    from tests.groups.conftest import activity_body

    group = make_group(place.t["street"], place.u["worker"])
    aid = api(place.u["worker"]).post(f"/api/v1/groups/{group.id}/activities", json=activity_body()).json["id"]
    page = en(login(place.u["worker"]))
    assert f'href="/manage/activities/{aid}"' in page.get(f"/groups/{group.id}").get_data(as_text=True)
    for path in (f"/manage/activities/{aid}", f"/manage/activities/{aid}/checkin", f"/manage/activities/{aid}/edit"):
        assert page.get(path).status_code == 200, path
    assert f'href="/manage/activities/{aid}"' not in en(login(place.u["worker2"])).get(
        f"/groups/{group.id}").get_data(as_text=True)
