"""The yearly awards: rounds, categories, nominations with their dossier, jurors' scores, publication, export."""
import io
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from openpyxl import load_workbook

from union_saas.activities.models import Activity, SignUp
from union_saas.core import jobs
from union_saas.core.db import utcnow
from union_saas.core.inbox import Notification
from union_saas.groups import services
from union_saas.groups.models import AwardRound, GroupMember, Nomination, Score


def round_body(**fields):
    now = utcnow().replace(microsecond=0)
    data = {"title": "Best groups of the year", "year": now.year,
            "nominations_close": (now + timedelta(days=10)).isoformat(),
            "judging_close": (now + timedelta(days=20)).isoformat(),
            "categories": [{"name": "Members' groups", "kind": "individual", "places": 1},
                           {"name": "Institutional groups", "kind": "institutional", "places": 2}]}
    data.update(fields)
    return data


def move(db_session, round_id, phase):
    """Put a round in ``phase`` by moving its dates."""
    rnd = db_session.get(AwardRound, round_id)
    now = utcnow()
    if phase == "judging":
        rnd.nominations_close, rnd.judging_close = now - timedelta(days=1), now + timedelta(days=5)
    elif phase == "judged":
        rnd.nominations_close, rnd.judging_close = now - timedelta(days=5), now - timedelta(days=1)
    db_session.flush()


def held(db_session, group, checkins, participants, when=None):
    """An activity of ``group`` held this year: ``participants`` confirmed, ``checkins`` of them checked in."""
    from union_saas.accounts.models import User

    when = when or utcnow() - timedelta(hours=5)
    activity = Activity(tenant_id=group.tenant_id, root_id=group.root_id, title="Held", scope="tenant",
                        status="published", starts_at=when - timedelta(hours=2), ends_at=when, group_id=group.id,
                        group_only=True, description="", description_html="", confirmed_count=participants)
    db_session.add(activity)
    db_session.flush()
    users = [User(username=f"p{activity.id}-{i}", display_name="P", password_hash="x") for i in range(participants)]
    db_session.add_all(users)
    db_session.flush()
    db_session.add_all([SignUp(activity_id=activity.id, user_id=u.id, root_id=group.root_id, status="confirmed",
                               checked_in_at=when if i < checkins else None) for i, u in enumerate(users)])
    db_session.flush()
    return activity


def test_a_round_is_opened_by_group_managers_with_valid_dates(api, place, db_session):
    admin = api(place.u["street_admin"])
    r = admin.post("/api/v1/tenants/street/award-rounds", json=round_body())
    assert r.status_code == 201, r.json
    assert r.json["status"] == "nominating" and [c["kind"] for c in r.json["categories"]] == ["individual",
                                                                                             "institutional"]
    bad = admin.post("/api/v1/tenants/street/award-rounds", json=round_body(
        judging_close=(utcnow() + timedelta(days=1)).isoformat(),
        categories=[{"name": "X", "kind": "solo", "places": 0}]))
    assert bad.status_code == 422 and "categories" in bad.json["errors"]
    bad = admin.post("/api/v1/tenants/street/award-rounds", json=round_body(
        judging_close=(utcnow() + timedelta(days=1)).isoformat()))
    assert bad.status_code == 422 and "judging_close" in bad.json["errors"]
    assert api(place.u["worker"]).post("/api/v1/tenants/street/award-rounds", json=round_body()).status_code == 404
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AwardRound)) == 1
    # seen by whoever sees the union's subtree content; not by a sibling's members
    rid = r.json["id"]
    assert api(place.u["community_worker"]).get(f"/api/v1/award-rounds/{rid}").status_code == 200
    assert api(place.u["neighbour"]).get(f"/api/v1/award-rounds/{rid}").status_code == 404
    assert [x["id"] for x in api(place.u["community_worker"]).get(
        "/api/v1/tenants/community/award-rounds").json["items"]] == [rid]


def test_nominations_follow_every_rule(api, place, make_group, db_session):
    rid = api(place.u["street_admin"]).post("/api/v1/tenants/street/award-rounds", json=round_body()).json["id"]
    cats = {c["kind"]: c["id"] for c in api(place.u["street_admin"]).get(f"/api/v1/award-rounds/{rid}").json["categories"]}
    group = make_group(place.t["community"], place.u["community_worker"], name="Walkers")
    held(db_session, group, checkins=3, participants=4)
    held(db_session, group, checkins=1, participants=1, when=datetime(utcnow().year - 1, 6, 1, tzinfo=UTC))
    outside = make_group(place.t["other"], place.u["neighbour"], name="Elsewhere", scope="platform",
                         reach="approved")
    body = {"group": group.id, "category": cats["individual"], "statement": "We walk every week."}
    # a member who does not organise the group may not nominate it
    db_session.add(GroupMember(group_id=group.id, user_id=place.u["worker"].id, root_id=group.root_id,
                               status="active", role="member"))
    db_session.flush()
    assert api(place.u["worker"]).post(f"/api/v1/award-rounds/{rid}/nominations", json=body).status_code == 403
    # someone who does not even see the group: it is no group of theirs to name
    assert api(place.u["juror"]).post(f"/api/v1/award-rounds/{rid}/nominations", json=body).status_code == 422
    wrong = api(place.u["community_worker"]).post(f"/api/v1/award-rounds/{rid}/nominations",
                                                  json={**body, "category": cats["institutional"]})
    assert wrong.status_code == 422 and "category" in wrong.json["errors"]
    far = api(place.u["neighbour"]).post(f"/api/v1/award-rounds/{rid}/nominations",
                                         json={**body, "group": outside.id})
    assert far.status_code in (404, 422)  # the round is not theirs to see, or the group is outside
    far = api(place.u["fed_admin"]).post(f"/api/v1/award-rounds/{rid}/nominations", json={**body, "group": outside.id})
    assert far.status_code == 422 and "group" in far.json["errors"]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Nomination)) == 0
    r = api(place.u["community_worker"]).post(f"/api/v1/award-rounds/{rid}/nominations", json=body)
    assert r.status_code == 201, r.json
    assert r.json["dossier"] == {"activities_held": 1, "participants": 4, "checkins": 3}  # this year only
    assert api(place.u["street_admin"]).post(f"/api/v1/award-rounds/{rid}/nominations", json=body).status_code == 409
    move(db_session, rid, "judging")
    late = make_group(place.t["street"], place.u["worker2"], name="Late")
    assert api(place.u["worker2"]).post(f"/api/v1/award-rounds/{rid}/nominations", json={
        **body, "group": late.id}).status_code == 409


def test_scores_follow_every_rule(api, place, make_group, db_session):
    admin = api(place.u["street_admin"])
    rid = admin.post("/api/v1/tenants/street/award-rounds", json=round_body()).json["id"]
    cat = admin.get(f"/api/v1/award-rounds/{rid}").json["categories"][0]["id"]
    group = make_group(place.t["street"], place.u["worker"], name="Runners")
    mine = make_group(place.t["street"], place.u["juror"], name="Juror's own")
    nid = admin.post(f"/api/v1/award-rounds/{rid}/nominations", json={
        "group": group.id, "category": cat, "statement": "Fast."}).json["id"]
    own = admin.post(f"/api/v1/award-rounds/{rid}/nominations", json={
        "group": mine.id, "category": cat, "statement": "Mine."}).json["id"]
    assert admin.post(f"/api/v1/award-rounds/{rid}/jurors", json={"username": "juror"}).status_code == 201
    assert admin.post(f"/api/v1/award-rounds/{rid}/jurors", json={"username": "juror"}).status_code == 409
    assert admin.post(f"/api/v1/award-rounds/{rid}/jurors", json={"username": "ghost"}).status_code == 422
    juror = api(place.u["juror"])
    assert juror.post(f"/api/v1/nominations/{nid}/scores", json={"score": 80}).status_code == 409  # not yet
    move(db_session, rid, "judging")
    assert juror.post(f"/api/v1/nominations/{nid}/scores", json={"score": 101}).status_code == 422
    assert juror.post(f"/api/v1/nominations/{nid}/scores", json={"score": -1}).status_code == 422
    assert api(place.u["worker2"]).post(f"/api/v1/nominations/{nid}/scores", json={"score": 50}).status_code == 403
    assert juror.post(f"/api/v1/nominations/{own}/scores", json={"score": 100}).status_code == 409  # abstains
    assert juror.post(f"/api/v1/nominations/{nid}/scores", json={"score": 80, "comment": "Good"}).status_code == 201
    r = juror.post(f"/api/v1/nominations/{nid}/scores", json={"score": 85})
    assert r.status_code == 201 and r.json["score"] == 85  # replaced, not added
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Score)) == 1
    move(db_session, rid, "judged")
    assert juror.post(f"/api/v1/nominations/{nid}/scores", json={"score": 10}).status_code == 409
    assert db_session.scalar(sa.select(Score.score)) == 85


def test_publish_ranks_by_mean_then_check_ins_then_participants(api, place, make_group, make_user, make_member,
                                                                 db_session):
    admin = api(place.u["street_admin"])
    rid = admin.post("/api/v1/tenants/street/award-rounds", json=round_body()).json["id"]
    cats = {c["kind"]: c["id"] for c in admin.get(f"/api/v1/award-rounds/{rid}").json["categories"]}
    groups = {name: make_group(place.t["street"], place.u["street_admin"], name=name, kind="institutional")
              for name in ("A", "B", "C", "D")}
    held(db_session, groups["A"], checkins=5, participants=6)
    held(db_session, groups["B"], checkins=5, participants=9)   # ties A on mean and check-ins: more participants
    held(db_session, groups["C"], checkins=9, participants=9)   # lower mean
    noms = {name: admin.post(f"/api/v1/award-rounds/{rid}/nominations", json={
        "group": g.id, "category": cats["institutional"], "statement": name}).json["id"] for name, g in groups.items()}
    jurors = []
    for i in range(2):
        u = make_user(f"j{i}")
        admin.post(f"/api/v1/award-rounds/{rid}/jurors", json={"username": u.username})
        jurors.append(api(u))
    assert admin.post(f"/api/v1/award-rounds/{rid}/publish").status_code == 409  # nominations still open
    move(db_session, rid, "judging")
    for j, (a, b, c) in zip(jurors, ((90, 80, 70), (70, 80, 60))):
        j.post(f"/api/v1/nominations/{noms['A']}/scores", json={"score": a})
        j.post(f"/api/v1/nominations/{noms['B']}/scores", json={"score": b})
        j.post(f"/api/v1/nominations/{noms['C']}/scores", json={"score": c})
    assert admin.post(f"/api/v1/award-rounds/{rid}/publish").status_code == 409  # judging not closed
    assert api(place.u["worker"]).get(f"/api/v1/award-rounds/{rid}/results").status_code == 404
    move(db_session, rid, "judged")
    assert api(place.u["worker"]).post(f"/api/v1/award-rounds/{rid}/publish").status_code == 404
    r = admin.post(f"/api/v1/award-rounds/{rid}/publish")
    assert r.status_code == 200 and r.json["status"] == "published"
    assert admin.post(f"/api/v1/award-rounds/{rid}/publish").status_code == 409
    results = api(place.u["worker"]).get(f"/api/v1/award-rounds/{rid}/results")
    assert results.status_code == 200
    inst = next(c for c in results.json["categories"] if c["kind"] == "institutional")
    assert [(row["group_name"], row["mean"], row["awarded"]) for row in inst["nominations"]] == [
        ("B", 80.0, True), ("A", 80.0, True), ("C", 65.0, False), ("D", None, False)]
    winners = db_session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.kind == "award.awarded", Notification.user_id == place.u["street_admin"].id))
    assert winners == 2


def test_the_export_has_each_jurors_scores(api, place, make_group, make_user, db_session, app):
    admin = api(place.u["street_admin"])
    rid = admin.post("/api/v1/tenants/street/award-rounds", json=round_body()).json["id"]
    cat = admin.get(f"/api/v1/award-rounds/{rid}").json["categories"][0]["id"]
    group = make_group(place.t["street"], place.u["worker"], name="=cmd|' /C calc'!A0")
    nid = admin.post(f"/api/v1/award-rounds/{rid}/nominations", json={
        "group": group.id, "category": cat, "statement": "S"}).json["id"]
    j = make_user("jx")
    admin.post(f"/api/v1/award-rounds/{rid}/jurors", json={"username": "jx"})
    move(db_session, rid, "judging")
    api(j).post(f"/api/v1/nominations/{nid}/scores", json={"score": 77, "comment": "Lively"})
    move(db_session, rid, "judged")
    admin.post(f"/api/v1/award-rounds/{rid}/publish")
    job = admin.post(f"/api/v1/award-rounds/{rid}/export")
    assert job.status_code == 202
    if admin.get(f"/api/v1/jobs/{job.json['job']}").json["status"] == "queued":  # with Redis: run it here
        jobs.execute(job.json["job"])
    data = admin.get(f"/api/v1/jobs/{job.json['job']}/file")
    assert data.status_code == 200, data.get_data(as_text=True)[:300]
    book = load_workbook(io.BytesIO(data.data))
    sheets = book.worksheets
    name = sheets[0].cell(2, 3)
    assert name.data_type == "s" and name.value.endswith("=cmd|' /C calc'!A0")  # text, never a formula
    assert [c.value for c in sheets[0][2]][4:9] == [77, 1, 0, 0, 0]
    assert sheets[0].cell(2, 10).value in ("Yes", "是")  # in the owner's language, else the platform's
    assert [c.value for c in sheets[1][2]][2:6] == ["Jx", "jx", 77, "Lively"]


def test_the_dossier_is_one_grouped_query_for_the_whole_round(app, place, make_group, db_session, count_queries):
    rnd = services.create_round(db_session, place.u["street_admin"], place.t["street"], {
        "title": "R", "year": utcnow().year, "nominations_close": utcnow() + timedelta(days=1),
        "judging_close": utcnow() + timedelta(days=2),
        "categories": [{"name": "I", "kind": "individual", "places": 3}]})
    groups = [make_group(place.t["street"], place.u["worker"], name=f"G{i}") for i in range(8)]
    for g in groups:
        held(db_session, g, checkins=1, participants=2)
    with count_queries() as counter:
        dossier = services.dossiers(db_session, rnd, [g.id for g in groups])
    assert counter.count == 1
    assert all(d == {"activities_held": 1, "participants": 2, "checkins": 1} for d in dossier.values())
