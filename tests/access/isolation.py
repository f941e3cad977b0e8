from tests.isolation.world import Case, everyone, managed
from union_saas.access.models import Grant


def a_grant(world, session):
    from union_saas.accounts.models import User

    grantee = User(username="grantee", display_name="Grantee", password_hash="x")
    session.add(grantee)
    session.flush()
    row = Grant(user_id=grantee.id, role="activity_organizer", tenant_id=world.tenants["a-s1"].id,
                root_id=world.tenants["a"].id)
    session.add(row)
    session.flush()
    return {"grant_id": row.id}


# A grant is revoked by whoever could have made it from the level it was made at, or by the operator.
REVOKE = {**managed(204, officer=403), "operator": 204}

CASES = [
    Case("access_api.list_grants", "GET", "/api/v1/tenants/{own}/grants", managed(200, officer=403)),
    Case("access_api.list_grants", "GET", "/api/v1/tenants/{own}/grants?include=subtree", managed(200, officer=403),
         id="subtree"),
    Case("access_api.create_grant", "POST", "/api/v1/tenants/{own}/grants", managed(201, officer=403),
         body={"username": "plain", "role": "activity_organizer"}),
    Case("access_api.delete_grant", "DELETE", "/api/v1/grants/{grant_id}", REVOKE, setup=a_grant),
    Case("access_api.list_roles", "GET", "/api/v1/roles", everyone(200)),
    Case("access_api.explain", "GET", "/api/v1/tenants/{own}/access/explain?username=plain&permission=member.view",
         managed(200, officer=403)),
    Case("access_api.audit", "GET", "/api/v1/tenants/{own}/audit", managed(200, officer=403)),
    # pages
    Case("access.grants", "GET", "/manage/{own}/grants", managed(200, officer=403), page=True),
    Case("access.create_grant", "POST", "/manage/{own}/grants", managed(302, officer=403), page=True,
         body={"username": "plain", "role": "activity_organizer"}),
    Case("access.revoke", "POST", "/manage/grants/{grant_id}/revoke", {**managed(302, officer=403), "operator": 302},
         page=True, setup=a_grant),
    Case("access.audit", "GET", "/manage/{own}/audit", managed(200, officer=403), page=True),
]
