"""Registering, signing in and out, tokens, throttling, safe redirects."""
import pytest

from tests.conftest import PASSWORD
from union_saas.accounts.models import User
from union_saas.core.web import safe_next


def test_register_then_sign_in_with_a_token(client, db_session):
    response = client.post("/api/v1/auth/register", json={"username": "Li.Wei", "password": "violet tram harbour 9",
                                                          "display_name": "李伟", "phone": "13800138000"})
    assert response.status_code == 201 and response.get_json()["username"] == "li.wei"
    token = client.post("/api/v1/auth/token", json={"username": "li.wei", "password": "violet tram harbour 9"})
    assert token.status_code == 200 and token.get_json()["expires_at"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.get_json()['token']}"})
    assert me.status_code == 200 and me.get_json()["display_name"] == "李伟"


def test_passwords_are_stored_with_a_slow_hash(client, db_session, app):
    client.post("/api/v1/auth/register", json={"username": "hashme", "password": "violet tram harbour 9",
                                               "display_name": "H"})
    stored = db_session.query(User).filter_by(username="hashme").one().password_hash
    assert "violet" not in stored and stored.startswith(app.config["PASSWORD_HASH_METHOD"].split(":")[0])


@pytest.mark.parametrize("password", ["short", "password123", "12345678", "hashme2026"])
def test_a_weak_password_is_refused_with_a_message(client, password):
    response = client.post("/api/v1/auth/register", json={"username": "hashme", "password": password,
                                                          "display_name": "H"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"]["password"]


def test_a_taken_username_is_a_conflict(client, make_user):
    make_user("taken")
    response = client.post("/api/v1/auth/register", json={"username": "TAKEN", "password": "violet tram harbour 9",
                                                          "display_name": "T"})
    assert response.status_code == 409 and "username" in response.get_json()["errors"]


def test_the_register_page_keeps_what_was_typed(client, make_user):
    make_user("taken")
    response = client.post("/register", data={"username": "taken", "display_name": "王芳", "phone": "123",
                                              "password": "x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="王芳"' in html and 'value="taken"' in html and 'class="errors"' in html


def test_wrong_password_is_401_then_429_after_repeated_failures(client, make_user):
    make_user("victim")
    for _ in range(5):
        assert client.post("/api/v1/auth/token", json={"username": "victim", "password": "nope"}).status_code == 401
    blocked = client.post("/api/v1/auth/token", json={"username": "victim", "password": PASSWORD})
    assert blocked.status_code == 429 and blocked.mimetype == "application/problem+json"


def test_successful_sign_ins_are_not_counted_as_failures(client, make_user):
    make_user("regular")
    for _ in range(8):
        assert client.post("/api/v1/auth/token", json={"username": "regular", "password": PASSWORD}).status_code == 200


def test_the_sign_in_page_is_throttled_too(client, make_user):
    make_user("victim")
    for _ in range(5):
        assert client.post("/login", data={"username": "victim", "password": "nope"}).status_code == 401
    assert client.post("/login", data={"username": "victim", "password": PASSWORD}).status_code == 429


def test_sign_in_and_out_of_the_pages(client, make_user):
    make_user("page-user")
    response = client.post("/login?next=/account", data={"username": "page-user", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert client.get("/account").status_code == 200
    client.post("/logout")
    assert client.get("/account").status_code == 302


def test_changing_the_password_ends_every_session_and_token(client, make_user, db_session, api):
    from union_saas.accounts.services import set_password

    user = make_user("rotator")
    client.post("/login", data={"username": "rotator", "password": PASSWORD})
    api_client = api(user)
    assert client.get("/account").status_code == 200 and api_client.get("/api/v1/me").status_code == 200
    set_password(db_session, user, "a brand new long passphrase", hash_method="pbkdf2:sha256:1000")
    assert client.get("/account").status_code == 302
    assert api_client.get("/api/v1/me").status_code == 401


def test_the_api_ignores_session_cookies(client, make_user):
    make_user("cookie")
    client.post("/login", data={"username": "cookie", "password": PASSWORD})
    assert client.get("/api/v1/me").status_code == 401


def test_a_bad_token_is_401(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer forged.token.here"})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "////evil.example", "/\\evil.example",
                                    "\\\\evil.example", "/\t/evil.example", "javascript:alert(1)", "evil.example"])
def test_next_never_leaves_the_site(app, target):
    with app.test_request_context():
        assert safe_next(target) == "/"


def test_next_follows_local_paths(app):
    with app.test_request_context():
        assert safe_next("/manage/fed?x=1") == "/manage/fed?x=1"
