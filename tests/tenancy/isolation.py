import io

from tests.isolation.world import CALLERS, Case, everyone, managed

TREE = b"- {slug: imported-one, name: Imported One, kind: enterprise}\n"


def archive_child(world, session):
    world.tenants["a-s1-c1"].status = "archived"
    session.flush()


def tree_file():
    return {"file": (io.BytesIO(TREE), "tree.yaml")}


ARCHIVED = {**managed(200), "child_admin": 200}
# A union's own admin may not take it away from the union above it (tenant.edit at the parent is needed).
MOVE = {**managed(200, officer=403), "own_admin": 403}
OPERATOR_ONLY = {**everyone(404), "operator": 201}

CASES = [
    Case("tenancy.public_home", "GET", "/t/{own}", everyone(200, anonymous=200), page=True),
    Case("tenancy.public_home", "GET", "/t/{child}", {**ARCHIVED, "anonymous": 404}, page=True, setup=archive_child,
         id="archived"),
    Case("tenancy_api.get_tenant", "GET", "/api/v1/tenants/{own}", everyone(200)),
    Case("tenancy_api.get_tenant", "GET", "/api/v1/tenants/{child}", ARCHIVED, setup=archive_child, id="archived"),
    Case("tenancy_api.list_children", "GET", "/api/v1/tenants/{own}/children", everyone(200)),
    Case("tenancy_api.create_child", "POST", "/api/v1/tenants/{own}/children", managed(201, officer=403),
         body={"slug": "new-union", "name": "New union", "kind": "enterprise"}),
    Case("tenancy_api.patch_tenant", "PATCH", "/api/v1/tenants/{own}", managed(200, officer=403),
         body={"name": "Renamed"}),
    Case("tenancy_api.move_tenant", "POST", "/api/v1/tenants/{own}/move", MOVE, body={"parent": "a-s2"}),
    Case("tenancy_api.import_children", "POST", "/api/v1/tenants/{own}/children/import",
         managed(202, officer=403), files=tree_file),
    Case("tenancy_api.create_federation", "POST", "/api/v1/admin/federations", OPERATOR_ONLY,
         body={"slug": "new-fed", "name": "New federation", "admin_username": "plain"}),
    Case("tenancy_api.child_slug", "GET", "/api/v1/tenants/{own}/children/slug?name=%E6%98%A5%E7%86%99",
         managed(200, officer=403)),
    Case("tenancy_api.federation_slug", "GET", "/api/v1/admin/federations/slug?name=x", {**everyone(404), "operator": 200}),
    Case("tenancy_api.todo", "GET", "/api/v1/tenants/{own}/todo", managed(200)),
    # pages
    Case("tenancy.child_slug", "GET", "/manage/{own}/children/slug?name=x", managed(200, officer=403), page=True),
    Case("tenancy.federation_slug", "GET", "/admin/federations/slug?name=x", {**everyone(404), "operator": 200},
         page=True),
    Case("tenancy.manage_index", "GET", "/manage", everyone(302, anonymous=302), page=True),
    Case("tenancy.manage", "GET", "/manage/{own}", managed(200), page=True),
    Case("tenancy.tree_children", "GET", "/manage/{own}/children", managed(200), page=True),
    Case("tenancy.create_child", "POST", "/manage/{own}/children/new", managed(302, officer=403), page=True,
         body={"slug": "new-union", "name": "New union", "kind": "enterprise"}),
    Case("tenancy.edit", "POST", "/manage/{own}/edit", managed(302, officer=403), page=True,
         body={"name": "Renamed"}),
    Case("tenancy.move", "POST", "/manage/{own}/move", MOVE | {"parent_admin": 302}, page=True,
         body={"parent": "a-s2"}),
    Case("tenancy.import_children", "POST", "/manage/{own}/import", managed(302, officer=403), page=True,
         files=tree_file),
    Case("tenancy.admin_federations", "GET", "/admin/federations", {**everyone(404), "operator": 200}, page=True),
    Case("tenancy.admin_federations", "POST", "/admin/federations", {**everyone(404), "operator": 302}, page=True,
         body={"slug": "new-fed", "name": "New federation", "admin_username": "plain"}),
]
assert set(CALLERS)  # every Case checks its expectations cover all callers
