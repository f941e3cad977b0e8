"""Guessing passwords is slow and tells nothing: failures are counted per account (pages and API together)
and per address, floods lock out no one signing in from their own browser, registration and the API are
rate-limited, an unknown username costs the same hash as a real one, common passwords are refused."""
import pytest

from tests.conftest import PASSWORD

GOOD = "violet tram harbour ninety"


def at(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_failures_are_counted_per_account_across_pages_api_and_addresses(app, make_user):
    make_user("target")
    for n in range(3):
        assert at(app, f"10.0.0.{n}").post("/login", data={"username": "target", "password": "nope"}).status_code == 401
    for n in range(3, 5):
        assert at(app, f"10.0.0.{n}").post("/api/v1/auth/token",
                                           json={"username": "target", "password": "nope"}).status_code == 401
    assert at(app, "10.0.1.1").post("/api/v1/auth/token",
                                    json={"username": "target", "password": PASSWORD}).status_code == 429
    assert at(app, "10.0.1.2").post("/login", data={"username": "target", "password": PASSWORD}).status_code == 429


def test_a_flood_from_one_address_locks_out_no_one_signing_in_from_their_own_browser(app, make_user):
    make_user("alice")
    alice = at(app, "192.0.2.7")
    assert alice.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 302
    alice.post("/logout")

    flooder = at(app, "192.0.2.7")  # the same NAT
    answers = [flooder.post("/login", data={"username": f"guess{n}", "password": "nope"}).status_code
               for n in range(60)]
    assert answers[0] == 401 and answers[-1] == 429  # the flood itself is stopped
    assert flooder.post("/api/v1/auth/token", json={"username": "guess0", "password": "x"}).status_code == 429

    # Alice's browser carries the cookie of her earlier sign-in: her sign-ins are counted apart.
    assert alice.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 302


def test_a_flood_against_one_account_does_not_lock_its_owner_out_of_their_browser(app, make_user):
    make_user("bob")
    bob = at(app, "198.51.100.4")
    assert bob.post("/login", data={"username": "bob", "password": PASSWORD}).status_code == 302
    bob.post("/logout")
    for n in range(10):
        at(app, f"203.0.113.{n}").post("/login", data={"username": "bob", "password": "nope"})
    assert at(app, "203.0.113.99").post("/login", data={"username": "bob", "password": PASSWORD}).status_code == 429
    assert bob.post("/login", data={"username": "bob", "password": PASSWORD}).status_code == 302


def test_a_device_cookie_of_another_account_trusts_nothing(app, make_user):
    make_user("carol")
    make_user("dave")
    carol = at(app, "198.51.100.9")
    assert carol.post("/login", data={"username": "carol", "password": PASSWORD}).status_code == 302
    for _ in range(5):
        carol.post("/login", data={"username": "dave", "password": "nope"})
    assert carol.post("/login", data={"username": "dave", "password": PASSWORD}).status_code == 429


def test_registration_is_rate_limited_per_address(app, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTER_LIMITS", "2 per hour")
    client = at(app, "192.0.2.50")
    assert client.post("/api/v1/auth/register", json={"username": "one-reg", "password": GOOD,
                                                       "display_name": "One"}).status_code == 201
    assert client.post("/register", data={"username": "two-reg", "password": GOOD,
                                          "display_name": "Two"}).status_code == 302
    third = client.post("/api/v1/auth/register", json={"username": "three-reg", "password": GOOD,
                                                       "display_name": "Three"})
    assert third.status_code == 429 and third.mimetype == "application/problem+json"
    assert at(app, "192.0.2.51").post("/api/v1/auth/register", json={
        "username": "four-reg", "password": GOOD, "display_name": "Four"}).status_code == 201


def test_the_api_as_a_whole_is_rate_limited_per_caller(app, monkeypatch, make_user, api):
    monkeypatch.setitem(app.config, "API_RATE_LIMITS", "3 per minute")
    busy, calm = api(make_user("busy")), api(make_user("calm"))
    assert [busy.get(p).status_code for p in ("/api/v1/me", "/api/v1/roles", "/api/v1/me")] == [200, 200, 200]
    refused = busy.get("/api/v1/roles")
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert "Retry-After" in refused.headers
    assert calm.get("/api/v1/me").status_code == 200


def test_an_unknown_username_is_checked_against_a_hash_of_the_configured_method(app, db_session, monkeypatch):
    from union_saas.accounts import services

    seen = []
    real = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash", lambda stored, pw: seen.append(stored) or real(stored, pw))
    assert services.authenticate(db_session, "nobody-here", "whatever", hash_method="scrypt") is None
    assert seen and seen[0].startswith("scrypt:")


@pytest.mark.parametrize("password", ["woaini1314", "Abc@123456", "5201314520", "Password123!"])
def test_a_password_on_the_common_lists_is_refused(client, password):
    response = client.post("/api/v1/auth/register", json={"username": "commoner", "password": password,
                                                          "display_name": "C"})
    assert response.status_code == 422 and response.get_json()["errors"]["password"]


def test_an_uncommon_passphrase_is_accepted(client):
    assert client.post("/api/v1/auth/register", json={"username": "uncommon", "password": GOOD,
                                                      "display_name": "U"}).status_code == 201
