from tests.conftest import PASSWORD
from tests.isolation.world import Case, everyone

CASES = [
    Case("accounts_api.register", "POST", "/api/v1/auth/register", everyone(201, anonymous=201),
         body={"username": "newcomer", "password": "violet tram harbour ninety", "display_name": "Newcomer"}),
    Case("accounts_api.token", "POST", "/api/v1/auth/token", everyone(200, anonymous=200),
         body={"username": "plain", "password": PASSWORD}),
    Case("accounts_api.me", "GET", "/api/v1/me", everyone(200)),
    # pages
    Case("tenancy.home", "GET", "/", everyone(200, anonymous=200), page=True),
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
