"""Joining with a real name: validation, roster match, review, my page, masking, encryption at rest."""
import sqlalchemy as sa

from tests.members.conftest import person
from union_saas.core.audit import AuditEntry
from union_saas.members import identity
from union_saas.members.models import Membership, RosterEntry


def test_id_number_check_digit_birth_date_and_mask(app):
    with app.test_request_context("/?lang=en"):
        check_id_rules()


def check_id_rules():
    good = identity.make_id("11010519491231002")
    assert identity.id_problem(good) is None
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    assert "check digit" in identity.id_problem(wrong_check)
    assert "date" in identity.id_problem(identity.make_id("11010519990230001"))  # 30 February
    assert "date" in identity.id_problem(identity.make_id("11010521990101001"))  # born in 2199
    assert "18 characters" in identity.id_problem("1101051949123100")
    assert identity.mask_id(good) == good[:3] + "*" * 11 + good[-4:]
    assert identity.normalise_id(" 11010519491231002x ") == "11010519491231002X"


def test_worker_on_the_roster_is_a_member_at_once(make_tree, make_user, make_roster, api, db_session):
    tree = make_tree("fed/street")
    worker = make_user()
    who = person("王五")
    make_roster(tree["street"], "王五", who["id_number"], phone=who["phone"])
    response = api(worker).post("/api/v1/tenants/street/membership", json=who)
    assert response.status_code == 201, response.json
    assert response.json["status"] == "active"
    me = api(worker).get("/api/v1/me").json
    assert me["membership"] == {"tenant": "street", "status": "active"}
    entry = db_session.scalar(sa.select(RosterEntry))
    assert entry.user_id == worker.id


def test_worker_not_on_the_roster_waits_for_review(make_tree, make_user, make_roster, api):
    tree = make_tree("fed/street")
    who = person("王五")
    make_roster(tree["street"], "王六", who["id_number"])  # same number, another name: no match
    response = api(make_user()).post("/api/v1/tenants/street/membership", json=who)
    assert response.status_code == 201
    assert response.json["status"] == "pending"


def test_wrong_check_digit_says_which_field_and_why_and_changes_nothing(make_tree, make_user, api, db_session):
    make_tree("fed/street")
    worker = make_user()
    db_session.commit()  # the setup outlives the rolled-back request
    who = person()
    bad = who["id_number"][:17] + ("1" if who["id_number"][17] != "1" else "2")
    response = api(worker).post("/api/v1/tenants/street/membership?lang=en", json={**who, "id_number": bad})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "check digit" in response.json["errors"]["id_number"][0]
    assert bad not in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Membership)) == 0
    assert api(worker).post("/api/v1/tenants/street/membership", json=who).status_code == 201


def test_impossible_birth_date_and_bad_phone_are_refused(make_tree, make_user, api):
    make_tree("fed/street")
    response = api(make_user()).post("/api/v1/tenants/street/membership?lang=en", json={
        "real_name": "赵六", "id_number": identity.make_id("11010520010229001"), "phone": "12345"})
    assert response.status_code == 422
    assert "date of birth" in response.json["errors"]["id_number"][0]
    assert "11 digits" in response.json["errors"]["phone"][0]


def test_join_page_keeps_what_was_typed_and_explains(make_tree, make_user, login):
    make_tree("fed/street")
    client = login(make_user())
    typed = {"real_name": "钱七", "id_number": "110105194912310021", "phone": "13912345678"}
    response = client.post("/t/street/join", data=typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="钱七"' in html and 'value="13912345678"' in html and 'value="110105194912310021"' in html
    assert "aria-invalid" in html


def test_second_join_answers_409_while_pending_or_active(make_tree, make_user, api):
    make_tree("fed/street", "fed/other")
    worker = make_user()
    assert api(worker).post("/api/v1/tenants/street/membership?lang=en", json=person()).status_code == 201
    again = api(worker).post("/api/v1/tenants/other/membership?lang=en", json=person())
    assert again.status_code == 409
    assert "waiting for review" in again.json["detail"]


def test_an_id_number_is_active_under_one_account_only(make_tree, make_user, make_applicant, api):
    tree = make_tree("fed/street")
    first = make_applicant(tree["street"], "active")
    response = api(make_user()).post("/api/v1/tenants/street/membership",
                                     json={**person(), "id_number": first.id_number, "real_name": first.real_name})
    assert response.status_code == 409
    assert first.id_number not in response.get_data(as_text=True)


def test_one_active_membership_is_a_database_constraint(make_tree, make_user, db_session):
    tree = make_tree("fed/street", "fed/other")
    user = make_user()
    db_session.add(Membership(user_id=user.id, tenant_id=tree["street"].id, root_id=tree["fed"].id, status="active"))
    db_session.flush()
    db_session.add(Membership(user_id=user.id, tenant_id=tree["other"].id, root_id=tree["fed"].id, status="active"))
    try:
        with db_session.begin_nested():
            db_session.flush()
    except sa.exc.IntegrityError:
        pass
    else:
        raise AssertionError("two active memberships were accepted")


def test_reviewer_approves_and_a_second_decision_is_409(make_tree, make_user, make_applicant, grant, api):
    tree = make_tree("fed/street/community")
    reviewer = make_user()
    grant(reviewer, "member_reviewer", tree["street"])
    m = make_applicant(tree["community"])  # below the reviewer's union: grants flow down
    response = api(reviewer).post(f"/api/v1/members/{m.id}/approve", json={})
    assert response.status_code == 200 and response.json["status"] == "active"
    assert api(reviewer).post(f"/api/v1/members/{m.id}/reject", json={}).status_code == 409


def test_applicant_sees_the_reason_of_a_rejection(make_tree, make_user, make_applicant, grant, api, login):
    tree = make_tree("fed/street")
    reviewer, worker = make_user(), make_user()
    grant(reviewer, "union_admin", tree["street"])
    m = make_applicant(tree["street"], user=worker)
    response = api(reviewer).post(f"/api/v1/members/{m.id}/reject", json={"reason": "不是本单位职工"})
    assert response.status_code == 200 and response.json["status"] == "rejected"
    mine = api(worker).get("/api/v1/me/memberships").json["items"]
    assert mine[0]["status"] == "rejected" and mine[0]["reason"] == "不是本单位职工"
    page = login(worker).get("/t/street/me").get_data(as_text=True)
    assert "不是本单位职工" in page
    # Rejected: they may apply again.
    assert api(worker).post("/api/v1/tenants/street/membership", json=person()).status_code == 201


def test_review_pages_approve_and_decline(make_tree, make_user, make_applicant, grant, login):
    tree = make_tree("fed/street")
    admin = make_user()
    grant(admin, "union_admin", tree["street"])
    one, two = make_applicant(tree["street"]), make_applicant(tree["street"])
    client = login(admin)
    listing = client.get("/manage/street/members?status=pending").get_data(as_text=True)
    assert one.real_name in listing and one.id_masked in listing and one.id_number not in listing
    assert client.post(f"/manage/members/{one.id}/approve").status_code == 302
    assert client.post(f"/manage/members/{two.id}/reject", data={"reason": "重复申请"}).status_code == 302
    assert client.post(f"/manage/members/{two.id}/approve").status_code == 409
    assert (one.status, two.status, two.reason) == ("active", "rejected", "重复申请")


def test_directory_masks_and_full_number_is_audited(make_tree, make_user, make_applicant, grant, api, db_session):
    tree = make_tree("fed/street")
    admin, fed_admin = make_user(), make_user()
    grant(admin, "union_admin", tree["street"])
    grant(fed_admin, "federation_admin", tree["fed"])
    m = make_applicant(tree["street"], "active")
    listing = api(admin).get("/api/v1/tenants/street/members")
    assert listing.json["items"][0]["id_number"] == m.id_number[:3] + "*" * 11 + m.id_number[-4:]
    assert m.id_number not in listing.get_data(as_text=True)
    assert api(admin).get(f"/api/v1/members/{m.id}/id-number").status_code == 403
    shown = api(fed_admin).get(f"/api/v1/members/{m.id}/id-number")
    assert shown.status_code == 200 and shown.json["id_number"] == m.id_number
    entry = db_session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "member.view_sensitive"))
    assert entry.actor_id == fed_admin.id and entry.target == f"membership:{m.id}"
    assert m.id_number not in str(entry.detail)


def test_no_plaintext_id_number_in_any_table(make_tree, make_user, make_roster, grant, api, db_session):
    import io

    from union_saas.core.jobs import execute

    tree = make_tree("fed/street")
    numbers = []
    for name in ("甲", "乙乙"):
        who = person(name * 2)
        numbers.append(who["id_number"])
        make_roster(tree["street"], who["real_name"], who["id_number"])
        assert api(make_user()).post("/api/v1/tenants/street/membership", json=who).status_code == 201
    # A roster upload too: the file waits for its job encrypted, and is deleted once imported.
    admin = make_user()
    grant(admin, "union_admin", tree["street"])
    uploaded = person("丙丙")
    numbers.append(uploaded["id_number"])
    content = f"姓名,身份证号,手机号\n{uploaded['real_name']},{uploaded['id_number']},{uploaded['phone']}\n"
    response = api(admin).post("/api/v1/tenants/street/roster", data={"file": (io.BytesIO(content.encode()), "r.csv")},
                               content_type="multipart/form-data")
    assert response.status_code == 202
    from flask import current_app

    with current_app.test_request_context():
        execute(response.json["job"])
    connection = db_session.connection()
    assert connection.exec_driver_sql("SELECT count(*) FROM roster_entry").scalar() == 3
    for table in ("membership", "roster_entry", "audit_entry", "job_record", "member_file"):
        for row in connection.exec_driver_sql(f"SELECT * FROM {table}"):
            dump = repr(tuple(row)).encode() + b"".join(v for v in row if isinstance(v, (bytes, memoryview)))
            for number in numbers:
                assert number.encode() not in dump and number[6:14].encode() + number[14:].encode() not in dump


def test_my_page_shows_status_history_and_follows(make_tree, make_user, make_applicant, login):
    tree = make_tree("fed/street", "fed/other")
    worker = make_user()
    make_applicant(tree["street"], "active", user=worker)
    client = login(worker)
    client.post("/t/other/follow", data={"action": "follow"})
    html = client.get("/t/street/me").get_data(as_text=True)
    assert "Other" in html and "Street" in html and 'id="history"' in html


def test_member_list_and_directory_do_a_bounded_number_of_queries(make_tree, make_user, make_applicant, grant,
                                                                 api, login, count_queries):
    tree = make_tree("fed/street/c1", "fed/street/c2")
    admin = make_user()
    grant(admin, "union_admin", tree["street"])
    client, pages = api(admin), login(admin)

    def measure():
        counts = []
        for get, path in ((client.get, "/api/v1/tenants/street/members?include=subtree&per_page=200"),
                          (pages.get, "/manage/street/members?include=subtree")):
            with count_queries() as counter:
                assert get(path).status_code == 200
            counts.append([st.split("FROM")[-1][:60] for st in counter.statements])
        return counts

    make_applicant(tree["c1"])
    few = measure()
    for tenant in ("c1", "c2", "street"):
        for _ in range(5):
            make_applicant(tree[tenant])
    many = measure()
    assert [len(c) for c in many] == [len(c) for c in few], (few, many)


def test_public_home_members_section_does_a_bounded_number_of_queries(make_tree, make_user, make_applicant, login,
                                                                     count_queries):
    tree = make_tree("fed/street")
    worker = make_user()
    client = login(worker)

    def measure():
        with count_queries() as counter:
            assert client.get("/t/street").status_code == 200
        return counter.count

    measure()  # the first page of a session loads a few things once
    few = measure()
    for _ in range(10):
        make_applicant(tree["street"], "active")
    make_applicant(tree["street"], "pending", user=worker)
    assert measure() <= few  # (the signed-in user may now come from the session's identity map)
