"""My account, and a forgotten password: a one-time code through the configured channel, or a link the
member's union hands them at the office. Single use, short-lived, rate-limited; nothing told of strangers."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD
from union_saas.accounts.models import AuthSession, PasswordReset
from union_saas.core.audit import AuditEntry
from union_saas.core.db import utcnow

NEW = "violet tram harbour ninety"


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    """Codes are written to instance/outbox/ (MESSAGE_CHANNEL=outbox): read the last one sent."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "MESSAGE_CHANNEL", "outbox")

    def last_code():
        files = sorted((tmp_path / "outbox").glob("*.txt"))
        return re.search(r"\b(\d{6})\b", files[-1].read_text(encoding="utf-8")).group(1) if files else None

    return last_code


def test_a_code_by_mobile_sets_a_new_password_once_and_ends_every_session(make_user, api, outbox, db_session):
    user = make_user("li-lei", phone="13800138000")
    old_token = api(user)
    assert old_token.get("/api/v1/me").status_code == 200
    asked = api().post("/api/v1/auth/password/forgot", json={"username": "li-lei"})
    assert asked.status_code == 202 and asked.json == {"sent": True, "expires_in": 900}
    code = outbox()
    assert code is not None
    done = api().post("/api/v1/auth/password/reset", json={"username": "li-lei", "code": code, "new_password": NEW})
    assert done.status_code == 204
    assert api().post("/api/v1/auth/token", json={"username": "li-lei", "password": NEW}).status_code == 200
    assert old_token.get("/api/v1/me").status_code == 401  # every earlier session and token ended
    again = api().post("/api/v1/auth/password/reset", json={"username": "li-lei", "code": code,
                                                            "new_password": "another long pass phrase"})
    assert again.status_code == 422 and "code" in again.json["errors"]  # single use


def test_an_unknown_account_gets_the_same_answer_and_nothing_is_sent(api, outbox):
    asked = api().post("/api/v1/auth/password/forgot", json={"username": "nobody-here"})
    assert asked.status_code == 202 and asked.json["sent"] is True
    assert outbox() is None


def test_a_wrong_code_counts_and_five_spend_it(make_user, api, outbox, db_session):
    make_user("han-mei", phone="13800138001")
    api().post("/api/v1/auth/password/forgot", json={"username": "han-mei"})
    code = outbox()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        refused = api().post("/api/v1/auth/password/reset", json={"username": "han-mei", "code": wrong,
                                                                  "new_password": NEW})
        assert refused.status_code == 422 and refused.json["errors"]["code"]
    spent = api().post("/api/v1/auth/password/reset", json={"username": "han-mei", "code": code,
                                                            "new_password": NEW})
    assert spent.status_code == 422  # the right code no longer works either
    row = db_session.scalar(sa.select(PasswordReset))
    assert row.attempts == 5 and row.used_at is not None


def test_an_expired_code_or_a_weak_password_changes_nothing(make_user, api, outbox, db_session):
    make_user("zhou-min", phone="13800138002")
    api().post("/api/v1/auth/password/forgot", json={"username": "zhou-min"})
    code = outbox()
    weak = api().post("/api/v1/auth/password/reset", json={"username": "zhou-min", "code": code,
                                                           "new_password": "password123"})
    assert weak.status_code == 422 and "new_password" in weak.json["errors"]
    db_session.execute(sa.update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
    db_session.commit()
    late = api().post("/api/v1/auth/password/reset", json={"username": "zhou-min", "code": code, "new_password": NEW})
    assert late.status_code == 422
    assert api().post("/api/v1/auth/token", json={"username": "zhou-min", "password": PASSWORD}).status_code == 200


def test_asking_again_and_again_is_limited(make_user, api, app, outbox, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_RESET_LIMITS_PER_ACCOUNT", "3 per 15 minutes")
    make_user("wang-fang", phone="13800138003")
    statuses = [api().post("/api/v1/auth/password/forgot", json={"username": "wang-fang"}).status_code
                for _ in range(4)]
    assert statuses == [202, 202, 202, 429]


def test_the_pages_walk_through_it(make_user, client, outbox):
    make_user("sun-li", phone="13800138004")
    assert "/password/forgot" in client.get("/login").get_data(as_text=True)
    sent = client.post("/password/forgot", data={"username": "sun-li"})
    assert sent.status_code == 302 and "/password/reset?username=sun-li" in sent.headers["Location"]
    wrong = client.post("/password/reset", data={"username": "sun-li", "code": "12", "new_password": NEW})
    assert wrong.status_code == 422 and 'value="sun-li"' in wrong.get_data(as_text=True)
    done = client.post("/password/reset", data={"username": "sun-li", "code": outbox(), "new_password": NEW})
    assert done.status_code == 302 and "/login" in done.headers["Location"]
    assert client.post("/login", data={"username": "sun-li", "password": NEW}).status_code == 302


def test_an_officer_hands_a_member_a_one_time_link_at_the_office(make_tree, make_user, make_member, grant, login,
                                                                  api, client, db_session):
    tree = make_tree("fed/street")
    officer, worker = make_user("officer"), make_user("worker-no-phone")
    grant(officer, "union_admin", tree["street"])
    member = make_member(worker, tree["street"])
    made = api(officer).post(f"/api/v1/members/{member.id}/password-reset-link")
    assert made.status_code == 201
    token = made.json["url"].rsplit("/", 1)[-1]
    assert db_session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "member.reset_link")) is not None
    page = client.get(f"/password/link/{token}")
    assert page.status_code == 200 and "worker-no-phone" in page.get_data(as_text=True)
    assert client.post(f"/password/link/{token}", data={"new_password": NEW}).status_code == 302
    assert client.get(f"/password/link/{token}").status_code == 404  # used
    assert client.get(f"/password/link/{token[:-1]}x").status_code == 404
    stranger = make_user("stranger")
    assert api(stranger).post(f"/api/v1/members/{member.id}/password-reset-link").status_code == 404
    html = login(officer).post(f"/manage/members/{member.id}/reset-link").get_data(as_text=True)
    assert "<svg" in html and "/password/link/" in html


def test_my_details_change_and_bad_ones_are_refused(make_user, api, login, db_session):
    user = make_user("chen-jie")
    client = api(user)
    changed = client.patch("/api/v1/me", json={"display_name": "陈杰", "phone": "13900139000", "email": "cj@example.cn"})
    assert changed.status_code == 200 and changed.json["display_name"] == "陈杰" and changed.json["phone"] == "13900139000"
    bad = client.patch("/api/v1/me", json={"phone": "12345", "email": "nope"})
    assert bad.status_code == 422 and {"phone", "email"} <= set(bad.json["errors"])
    assert client.get("/api/v1/me").json["phone"] == "13900139000"
    page = login(user).post("/account", data={"display_name": "", "phone": "555", "email": ""})
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and 'value="555"' in html
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuthSession)) >= 1
