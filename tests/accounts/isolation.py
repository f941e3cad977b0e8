from tests.conftest import PASSWORD
from tests.isolation.world import Case, everyone

CASES = [
    Case("accounts_api.register", "POST", "/api/v1/auth/register", everyone(201, anonymous=201),
         body={"username": "newcomer", "password": "violet tram harbour ninety", "display_name": "Newcomer"}),
    Case("accounts_api.token", "POST", "/api/v1/auth/token", everyone(200, anonymous=200),
         body={"username": "plain", "password": PASSWORD}),
    Case("accounts_api.me", "GET", "/api/v1/me", everyone(200)),
]
CASES += [
    Case("accounts_api.logout", "POST", "/api/v1/auth/logout", everyone(204), body={}),
    Case("accounts_api.change_password", "POST", "/api/v1/me/password", everyone(422),
         body={"current_password": "not the password", "new_password": "violet tram harbour ninety"}),
]
