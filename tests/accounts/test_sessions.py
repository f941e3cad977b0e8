"""Sessions and tokens end when they should: sign-out (here or everywhere), a password change; the
remember cookie rotates; the CSRF secret changes at sign-in and its tokens expire."""
import pytest

from tests.conftest import PASSWORD

NEW_PASSWORD = "violet tram harbour ninety"


def session_cookie(client):
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_a_captured_session_cookie_is_worthless_after_sign_out(app, make_user):
    make_user("leaky")
    browser = app.test_client()
    assert browser.post("/login", data={"username": "leaky", "password": PASSWORD}).status_code == 302
    captured = session_cookie(browser)
    browser.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", captured)
    assert thief.get("/account").status_code == 302  # back to the sign-in page


def test_signing_out_everywhere_ends_every_session_and_token(app, make_user, api):
    user = make_user("everywhere")
    laptop, phone = app.test_client(), app.test_client()
    for browser in (laptop, phone):
        browser.post("/login", data={"username": "everywhere", "password": PASSWORD})
    script = api(user)
    assert script.get("/api/v1/me").status_code == 200
    laptop.post("/logout", data={"everywhere": "1"})
    assert phone.get("/account").status_code == 302
    assert script.get("/api/v1/me").status_code == 401


def test_the_remember_cookie_differs_at_each_sign_in_and_rotates_when_used(app, make_user):
    make_user("remembered")
    first, second = app.test_client(), app.test_client()
    for browser in (first, second):
        browser.post("/login", data={"username": "remembered", "password": PASSWORD, "remember": "1"})
    cookie = first.get_cookie("remember_token").value
    assert cookie != second.get_cookie("remember_token").value

    # The browser is closed (no session cookie) and opened again: the remember cookie signs it in, once.
    reopened = app.test_client()
    reopened.set_cookie("remember_token", cookie)
    assert reopened.get("/account").status_code == 200
    rotated = reopened.get_cookie("remember_token").value
    assert rotated != cookie
    stolen = app.test_client()
    stolen.set_cookie("remember_token", cookie)
    assert stolen.get("/account").status_code == 302  # the old cookie signs nobody in any more
    again = app.test_client()
    again.set_cookie("remember_token", rotated)
    assert again.get("/account").status_code == 200


def test_a_remembered_session_ends_with_sign_out(app, make_user):
    make_user("forgetful")
    browser = app.test_client()
    browser.post("/login", data={"username": "forgetful", "password": PASSWORD, "remember": "1"})
    cookie = browser.get_cookie("remember_token").value
    browser.post("/logout")
    later = app.test_client()
    later.set_cookie("remember_token", cookie)
    assert later.get("/account").status_code == 302


def test_api_logout_ends_the_token_used_and_no_other(client, make_user, db_session):
    make_user("scripted")
    tokens = [client.post("/api/v1/auth/token", json={"username": "scripted", "password": PASSWORD})
              .get_json()["token"] for _ in range(2)]
    page = client.application.test_client()
    page.post("/login", data={"username": "scripted", "password": PASSWORD})
    bearer = [{"Authorization": f"Bearer {t}"} for t in tokens]
    assert client.post("/api/v1/auth/logout", headers=bearer[0]).status_code == 204
    assert client.get("/api/v1/me", headers=bearer[0]).status_code == 401
    assert client.get("/api/v1/me", headers=bearer[1]).status_code == 200
    assert page.get("/account").status_code == 200
    assert client.post("/api/v1/auth/logout", json={"everywhere": True}, headers=bearer[1]).status_code == 204
    assert client.get("/api/v1/me", headers=bearer[1]).status_code == 401
    assert page.get("/account").status_code == 302


def test_api_password_change_ends_the_other_tokens_and_sessions(client, make_user, db_session):
    make_user("changer")
    token = lambda: client.post("/api/v1/auth/token", json={"username": "changer", "password": PASSWORD}).get_json()
    mine, other = ({"Authorization": f"Bearer {token()['token']}"} for _ in range(2))
    page = client.application.test_client()
    page.post("/login", data={"username": "changer", "password": PASSWORD})

    wrong = client.post("/api/v1/me/password", json={"current_password": "nope", "new_password": NEW_PASSWORD},
                        headers=mine)
    assert wrong.status_code == 422 and "current_password" in wrong.get_json()["errors"]
    weak = client.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "password1234"},
                       headers=mine)
    assert weak.status_code == 422 and "new_password" in weak.get_json()["errors"]
    assert client.get("/api/v1/me", headers=other).status_code == 200  # refusals change nothing

    done = client.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                       headers=mine)
    assert done.status_code == 204
    assert client.get("/api/v1/me", headers=mine).status_code == 200
    assert client.get("/api/v1/me", headers=other).status_code == 401
    assert page.get("/account").status_code == 302
    assert client.post("/api/v1/auth/token", json={"username": "changer", "password": NEW_PASSWORD}).status_code == 200


def test_the_page_password_change_keeps_this_browser_signed_in(app, make_user, api):
    user = make_user("page-changer")
    here, elsewhere = app.test_client(), app.test_client()
    for browser in (here, elsewhere):
        browser.post("/login", data={"username": "page-changer", "password": PASSWORD})
    script = api(user)
    wrong = here.post("/account/password", data={"current_password": "nope", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 422 and 'aria-invalid="true"' in wrong.get_data(as_text=True)
    assert here.post("/account/password", data={"current_password": PASSWORD,
                                                "new_password": NEW_PASSWORD}).status_code == 302
    assert here.get("/account").status_code == 200
    assert elsewhere.get("/account").status_code == 302
    assert script.get("/api/v1/me").status_code == 401


def test_expired_and_revoked_rows_sign_nobody_in(client, make_user, db_session):
    from datetime import timedelta

    from union_saas.accounts.models import AuthSession
    from union_saas.core.db import utcnow

    make_user("expiring")
    token = client.post("/api/v1/auth/token", json={"username": "expiring", "password": PASSWORD}).get_json()["token"]
    row = db_session.get(AuthSession, int(token.split(".")[1]))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db_session.flush()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    forged = token.rsplit(".", 1)[0] + ".x" + token.rsplit(".", 1)[1][1:]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def test_the_csrf_secret_changes_at_sign_in(app, make_user, csrf_on):
    import re

    make_user("csrf-user")
    browser = app.test_client()
    form = browser.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    with browser.session_transaction() as before:
        secret = before["csrf_token"]
    assert browser.post("/login", data={"username": "csrf-user", "password": PASSWORD,
                                        "csrf_token": token}).status_code == 302
    with browser.session_transaction() as after:
        assert after.get("csrf_token") != secret
    # A token taken from the page before signing in (as a login-CSRF attacker would) is refused after.
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 400


def test_csrf_tokens_expire(app, csrf_on, monkeypatch):
    import time

    from flask_wtf.csrf import generate_csrf, validate_csrf
    from wtforms import ValidationError

    assert app.config["WTF_CSRF_TIME_LIMIT"] and app.config["WTF_CSRF_TIME_LIMIT"] <= 24 * 3600
    with app.test_request_context():
        token = generate_csrf()
        validate_csrf(token)
        later = time.time() + app.config["WTF_CSRF_TIME_LIMIT"] + 60
        monkeypatch.setattr(time, "time", lambda: later)
        with pytest.raises(ValidationError):
            validate_csrf(token)


def test_signing_out_deletes_the_remember_cookie(app, make_user):
    make_user("tidy")
    browser = app.test_client()
    browser.post("/login", data={"username": "tidy", "password": PASSWORD, "remember": "1"})
    assert browser.get_cookie("remember_token") is not None
    browser.post("/logout")
    assert browser.get_cookie("remember_token") is None


def test_a_rotated_remember_cookie_holds_even_when_the_page_answers_an_error(app, make_user):
    make_user("unlucky")
    browser = app.test_client()
    browser.post("/login", data={"username": "unlucky", "password": PASSWORD, "remember": "1"})
    reopened = app.test_client()
    reopened.set_cookie("remember_token", browser.get_cookie("remember_token").value)
    assert reopened.get("/manage/no-such-union").status_code == 404  # rotated on a request that fails
    fresh = app.test_client()
    fresh.set_cookie("remember_token", reopened.get_cookie("remember_token").value)
    assert fresh.get("/account").status_code == 200
