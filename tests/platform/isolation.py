from tests.isolation.world import Case, everyone


def a_worker(world, session, active=True):
    """An account that is none of the callers (locking a caller would sign it out of its own case)."""
    from union_saas.accounts.models import User

    user = User(username="target-worker", display_name="Target", password_hash="x", phone="13812345678",
                active=active)
    session.add(user)
    session.flush()
    return {"uid": user.id}


def a_locked_worker(world, session):
    return a_worker(world, session, active=False)


def only_the_operator(status, anonymous=401):
    return {**everyone(404, anonymous=anonymous), "operator": status}


PAGE = {"anonymous": 302}

CASES = [
    Case("platform_api.find_users", "GET", "/api/v1/admin/users?q=own", only_the_operator(200)),
    Case("platform_api.get_user", "GET", "/api/v1/admin/users/{uid}", only_the_operator(200), setup=a_worker),
    Case("platform_api.lock_user", "POST", "/api/v1/admin/users/{uid}/lock", only_the_operator(200),
         setup=a_worker, body={"reason": "Spam"}),
    Case("platform_api.unlock_user", "POST", "/api/v1/admin/users/{uid}/unlock", only_the_operator(200),
         setup=a_locked_worker),
    Case("platform_api.stats", "GET", "/api/v1/admin/stats", only_the_operator(200)),
    Case("platform.overview", "GET", "/admin", only_the_operator(200, anonymous=302), page=True),
    Case("platform.users", "GET", "/admin/users?q=own", only_the_operator(200, anonymous=302), page=True),
    Case("platform.user", "GET", "/admin/users/{uid}", only_the_operator(200, anonymous=302), page=True,
         setup=a_worker),
    Case("platform.lock", "POST", "/admin/users/{uid}/lock", only_the_operator(302, anonymous=302), page=True,
         setup=a_worker, body={"reason": "Spam"}),
    Case("platform.unlock", "POST", "/admin/users/{uid}/unlock", only_the_operator(302, anonymous=302),
         page=True, setup=a_locked_worker),
]
