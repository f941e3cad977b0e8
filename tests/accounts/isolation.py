from tests.conftest import PASSWORD
from tests.isolation.world import Case, everyone

CASES = [
    Case("accounts_api.register", "POST", "/api/v1/auth/register", everyone(201, anonymous=201),
         body={"username": "newcomer", "password": "violet tram harbour ninety", "display_name": "Newcomer"}),
    Case("accounts_api.token", "POST", "/api/v1/auth/token", everyone(200, anonymous=200),
         body={"username": "plain", "password": PASSWORD}),
    Case("accounts_api.me", "GET", "/api/v1/me", everyone(200)),
    # pages
    Case("tenancy.home", "GET", "/unions", everyone(200, anonymous=200), page=True),
    Case("accounts.login", "GET", "/login", everyone(200, anonymous=200), page=True),
    Case("accounts.login", "POST", "/login", everyone(302, anonymous=302), page=True,
         body={"username": "plain", "password": PASSWORD}),
    Case("accounts.register", "GET", "/register", everyone(200, anonymous=200), page=True),
    Case("accounts.register", "POST", "/register", everyone(302, anonymous=302), page=True,
         body={"username": "newcomer", "password": "violet tram harbour ninety", "display_name": "Newcomer"}),
    Case("accounts.logout", "POST", "/logout", everyone(302, anonymous=302), page=True),
    Case("accounts.set_language", "GET", "/lang/en", everyone(302, anonymous=302), page=True),
    Case("accounts.account", "GET", "/account", everyone(200), page=True),
]
CASES += [
    Case("accounts_api.logout", "POST", "/api/v1/auth/logout", everyone(204), body={}),
    Case("accounts_api.change_password", "POST", "/api/v1/me/password", everyone(422),
         body={"current_password": "not the password", "new_password": "violet tram harbour ninety"}),
]
CASES += [
    # A wrong current password changes nothing, for anyone (422 with the field's message).
    Case("accounts.change_password", "POST", "/account/password", everyone(422), page=True,
         body={"current_password": "not the password", "new_password": "violet tram harbour ninety"}),
]


def a_reset_link(world, session):
    """A one-time link an officer of a-s1 made for its member (member_own)."""
    from flask import current_app

    from union_saas.accounts import services

    token, _expires = services.issue_reset_link(session, current_app.config["SECRET_KEY"], world.users["own_admin"],
                                                world.users["member_own"])
    return {"token": token}


NEW_PASSWORD = {"new_password": "violet tram harbour ninety"}
CASES += [
    Case("accounts.account", "POST", "/account", everyone(302), page=True,
         body={"display_name": "Renamed", "phone": "13800138000", "email": ""}),
    Case("accounts_api.update_me", "PATCH", "/api/v1/me", everyone(200), body={"display_name": "Renamed"}),
    # A forgotten password: anyone may ask (the same answer whatever the name), a wrong code changes nothing.
    Case("accounts.forgot_password", "GET", "/password/forgot", everyone(200, anonymous=200), page=True),
    Case("accounts.forgot_password", "POST", "/password/forgot", everyone(302, anonymous=302), page=True,
         body={"username": "plain"}),
    Case("accounts_api.forgot_password", "POST", "/api/v1/auth/password/forgot", everyone(202, anonymous=202),
         body={"username": "plain"}),
    Case("accounts.reset_password", "GET", "/password/reset", everyone(200, anonymous=200), page=True),
    Case("accounts.reset_password", "POST", "/password/reset", everyone(422, anonymous=422), page=True,
         body={"username": "plain", "code": "123456", **NEW_PASSWORD}),
    Case("accounts_api.reset_password", "POST", "/api/v1/auth/password/reset", everyone(422, anonymous=422),
         body={"username": "plain", "code": "123456", **NEW_PASSWORD}),
    # The link is the key: whoever holds it sets the member's password (it is handed over at the office).
    Case("accounts.reset_by_link", "GET", "/password/link/{token}", everyone(200, anonymous=200), page=True,
         setup=a_reset_link),
    Case("accounts.reset_by_link", "POST", "/password/link/{token}", everyone(302, anonymous=302), page=True,
         setup=a_reset_link, body=NEW_PASSWORD),
]
