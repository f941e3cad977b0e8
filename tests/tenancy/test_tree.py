"""The tenant tree: paths, moves, archiving, import/export, and the lazy tree page."""
import io

import pytest
import sqlalchemy as sa
import yaml

from union_saas.core.audit import AuditEntry
from union_saas.core.errors import Conflict, ValidationFailed
from union_saas.tenancy import services
from union_saas.tenancy.models import Tenant, ancestor_paths, path_ids


def test_paths_are_zero_padded_ids_from_the_root(make_tree):
    t = make_tree("fed/street/community")
    fed, street, community = t["fed"], t["street"], t["community"]
    assert community.path == f"/{fed.id:08d}/{street.id:08d}/{community.id:08d}/"
    assert community.root_id == fed.id and community.depth == 2
    assert path_ids(community.path) == [fed.id, street.id, community.id]
    assert ancestor_paths(community.path) == [fed.path, street.path, community.path]


def test_children_count_follows_creations_and_moves(db_session, make_tree):
    t = make_tree("fed/s1/c1", "fed/s1/c2", "fed/s2")
    assert t["s1"].children_count == 2
    services.move(db_session, None, t["c1"], t["s2"])
    assert db_session.get(Tenant, t["s1"].id).children_count == 1
    assert db_session.get(Tenant, t["s2"].id).children_count == 1


def test_moving_a_subtree_rewrites_every_path_below_it(db_session, make_tree):
    t = make_tree("fed/s1/c1/e1", "fed/s2")
    services.move(db_session, None, t["c1"], t["s2"])
    c1, e1, s2 = (db_session.get(Tenant, t[k].id) for k in ("c1", "e1", "s2"))
    assert c1.parent_id == s2.id and c1.path == s2.path + f"{c1.id:08d}/" and c1.depth == 2
    assert e1.path == c1.path + f"{e1.id:08d}/" and e1.depth == 3
    assert db_session.scalar(sa.select(sa.func.count()).where(Tenant.path.like(t["s1"].path + "%"))) == 1


def test_a_union_cannot_move_into_its_own_subtree(db_session, make_tree):
    t = make_tree("fed/s1/c1/e1")
    with pytest.raises(Conflict):
        services.move(db_session, None, t["s1"], t["e1"])
    with pytest.raises(Conflict):
        services.move(db_session, None, t["s1"], t["s1"])


def test_a_union_cannot_move_to_another_federation(db_session, make_tree):
    t = make_tree("fed/s1", "other/o1")
    with pytest.raises(Conflict):
        services.move(db_session, None, t["s1"], t["o1"])


def test_archiving_needs_the_sub_unions_archived_or_moved_first(db_session, make_tree):
    t = make_tree("fed/s1/c1")
    with pytest.raises(Conflict):
        services.update(db_session, None, t["s1"], {"status": "archived"})
    services.update(db_session, None, t["c1"], {"status": "archived"})
    services.update(db_session, None, t["s1"], {"status": "archived"})
    with pytest.raises(Conflict):  # restore the parent first
        services.update(db_session, None, t["c1"], {"status": "active"})


def test_taken_slug_is_a_conflict_and_a_bad_slug_is_invalid(db_session, make_tree):
    t = make_tree("fed/s1")
    with pytest.raises(Conflict):
        services.create_child(db_session, None, t["fed"], slug="s1", name="Again", kind="street")
    with pytest.raises(ValidationFailed):
        services.create_child(db_session, None, t["fed"], slug="Bad Slug", name="x", kind="street")


def test_every_change_is_in_the_audit_log_of_the_tenant_and_its_ancestors(db_session, make_tree, make_user, grant,
                                                                            api):
    t = make_tree("fed/s1")
    admin = make_user("fedadmin")
    grant(admin, "federation_admin", t["fed"])
    client = api(admin)
    assert client.post("/api/v1/tenants/s1/children", json={"slug": "c9", "name": "C9", "kind": "community"}).status_code == 201
    assert client.patch("/api/v1/tenants/c9", json={"name": "C nine"}).status_code == 200
    for slug in ("c9", "s1", "fed"):
        body = client.get(f"/api/v1/tenants/{slug}/audit").get_json()
        actions = [(e["action"], e["target"], e["actor"]) for e in body["items"]]
        assert ("tenant.create", "c9", "fedadmin") in actions and ("tenant.edit", "c9", "fedadmin") in actions


TREE = {
    "slug": "imported", "name": "导入的总工会", "kind": "federation",
    "children": [{"slug": f"st-{i}", "name": f"街道{i}", "kind": "street",
                  "children": [{"slug": f"co-{i}-{j}", "name": f"社区{i}-{j}", "kind": "community"} for j in range(3)]}
                 for i in range(4)],
}


def test_loading_a_tree_twice_changes_nothing(db_session):
    first = services.import_tree(db_session, None, TREE)
    assert (first["created"], first["updated"]) == (17, 0)
    again = services.import_tree(db_session, None, TREE)
    assert (again["created"], again["updated"]) == (0, 0)
    root = services.get_by_slug(db_session, "imported")
    assert root.children_count == 4 and services.get_by_slug(db_session, "st-2").children_count == 3
    assert services.export_tree(db_session, root) == TREE


def test_a_bad_tree_file_is_refused_whole(db_session):
    bad = {**TREE, "children": TREE["children"] + [{"slug": "Bad Slug", "name": "", "kind": "castle"}]}
    before = db_session.scalar(sa.select(sa.func.count()).select_from(Tenant))
    with pytest.raises(ValidationFailed) as error:
        services.import_tree(db_session, None, bad)
    assert len(error.value.errors["file"]) == 3
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Tenant)) == before


def test_importing_sub_unions_runs_as_a_job_with_progress(db_session, make_tree, make_user, grant, api, run_jobs):
    t = make_tree("fed/s1")
    admin = make_user("street-boss")
    grant(admin, "union_admin", t["s1"])
    client = api(admin)
    tree = yaml.safe_dump([{"slug": f"ent-{i}", "name": f"企业{i}", "kind": "enterprise"} for i in range(30)],
                          allow_unicode=True).encode()
    response = client.post("/api/v1/tenants/s1/children/import", data={"file": (io.BytesIO(tree), "t.yaml")})
    assert response.status_code == 202
    run_jobs()
    job = client.get(f"/api/v1/jobs/{response.get_json()['job']}").get_json()
    assert job["status"] == "finished" and job["progress"] == 100 and job["result"]["created"] == 30
    assert services.get_by_slug(db_session, "ent-29").parent_id == t["s1"].id
    assert db_session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "tenant.import")).actor_id == admin.id


def test_an_invalid_tree_upload_is_refused_in_the_request(make_tree, make_user, grant, api):
    t = make_tree("fed/s1")
    admin = make_user("street-boss")
    grant(admin, "union_admin", t["s1"])
    for content in (b"\xff\xfe not utf8", b"just a string", b"- {slug: X Y, name: a, kind: street}"):
        response = api(admin).post("/api/v1/tenants/s1/children/import", data={"file": (io.BytesIO(content), "t.yaml")})
        assert response.status_code == 422 and response.get_json()["errors"]["file"]


def big_tree(count):
    return {"slug": "big", "name": "Big", "kind": "federation",
            "children": [{"slug": f"b-{i}", "name": f"B {i:05d}", "kind": "street",
                          "children": [{"slug": f"b-{i}-{j}", "name": f"C {j}", "kind": "community"}
                                       for j in range(count // 50 - 1)]} for i in range(50)]}


@pytest.mark.parametrize("size", [10, 5000])
def test_tree_page_and_api_do_the_same_queries_at_any_size(size, db_session, make_user, grant, login, api,
                                                            queries_of):
    data = big_tree(max(size, 100)) if size > 100 else {"slug": "big", "name": "Big", "kind": "federation",
                                                         "children": [{"slug": f"b-{i}", "name": f"B {i}", "kind": "street"}
                                                                      for i in range(size)]}
    services.import_tree(db_session, None, data)
    admin = make_user("bigadmin")
    grant(admin, "federation_admin", services.get_by_slug(db_session, "big"))
    page, client = login(admin), api(admin)
    counts = queries_of(*(lambda: page.get("/manage/big"), lambda: page.get("/manage/b-1/children"),
                 lambda: client.get("/api/v1/tenants/big/children?per_page=200"), lambda: page.get("/t/big")))
    QUERY_COUNTS[size] = counts
    if len(QUERY_COUNTS) == 2:
        assert QUERY_COUNTS[10] == QUERY_COUNTS[5000]


QUERY_COUNTS = {}
