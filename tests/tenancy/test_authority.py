"""What a union's admin can do to the tree is bounded by where their rights are: an import creates and
updates only inside the importer's subtree (checked like the forms, audited like them), a union does not
move itself away from the union above it, and no YAML file burns the server."""
import io

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD  # noqa: F401 - the fixtures' password
from union_saas.core.audit import AuditEntry
from union_saas.core.jobs import JobRecord
from union_saas.tenancy.models import Tenant


@pytest.fixture
def district(make_tree, make_user, grant, db_session):
    tree = make_tree("fed/street/block", "fed/sibling")
    street_admin, fed_admin = make_user("street-boss"), make_user("fed-boss")
    grant(street_admin, "union_admin", tree["street"])
    grant(fed_admin, "federation_admin", tree["fed"])
    db_session.commit()
    return {"tree": tree, "street_admin": street_admin, "fed_admin": fed_admin}


def send_tree(client, slug, text):
    return client.post(f"/api/v1/tenants/{slug}/children/import",
                       data={"file": (io.BytesIO(text.encode()), "tree.yaml")}, content_type="multipart/form-data")


def job_of(client, response, run_jobs):
    assert response.status_code == 202, response.get_data(as_text=True)
    run_jobs()  # on Redis (TEST_REDIS_URL); inline jobs have run already
    return client.get(f"/api/v1/jobs/{response.json['job']}").json


def names(db_session):
    db_session.expire_all()
    return dict(db_session.execute(sa.select(Tenant.slug, Tenant.name)).all())


def test_the_job_refuses_a_union_outside_the_subtree_too(district, db_session):
    """The upload was checked; the job checks again (a union may have moved out since)."""
    from union_saas.core.errors import Conflict
    from union_saas.tenancy import services

    with pytest.raises(Conflict):
        services.import_tree(db_session, district["street_admin"],
                             [{"slug": "sibling", "name": "Hijacked", "kind": "street"}],
                             under=district["tree"]["street"])


@pytest.mark.parametrize("outside", ["sibling", "fed", "street"])
def test_an_import_naming_a_union_outside_the_subtree_changes_nothing(district, api, db_session, outside):
    client = api(district["street_admin"])
    before = names(db_session)
    text = (f"- {{slug: {outside}, name: Hijacked, kind: street, contact_phone: '0571-8888',\n"
            f"   children: [{{slug: planted, name: Planted, kind: community}}]}}\n")
    response = send_tree(client, "street", text)
    assert response.status_code == 409 and outside in " ".join(response.json["errors"]["file"])
    assert names(db_session) == before
    assert not db_session.scalar(sa.select(Tenant.id).where(Tenant.slug == "planted"))


def test_an_import_inside_the_subtree_creates_and_updates_and_audits_each_union(district, api, db_session,
                                                                                 run_jobs):
    client = api(district["street_admin"])
    text = ("- {slug: block, name: Block Renamed, kind: community, contact_phone: '0571-1234'}\n"
            "- {slug: new-one, name: New One, kind: enterprise, children: [{slug: new-two, name: New Two, "
            "kind: enterprise}]}\n")
    job = job_of(client, send_tree(client, "street", text), run_jobs)
    assert job["status"] == "finished" and (job["result"]["created"], job["result"]["updated"]) == (2, 1)
    actions = sorted(db_session.scalars(sa.select(AuditEntry.action + ":" + AuditEntry.target)
                                        .where(AuditEntry.action.in_(("tenant.create", "tenant.edit")),
                                               AuditEntry.actor_id == district["street_admin"].id)))
    assert actions == ["tenant.create:new-one", "tenant.create:new-two", "tenant.edit:block"]
    edit = db_session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "tenant.edit"))
    assert edit.detail["name"] == ["Block", "Block Renamed"]


@pytest.mark.parametrize("field, value", [("contact_phone", "call me maybe"), ("contact_email", "not-an-email"),
                                          ("address", "x" * 201), ("contact_name", ["a", "list"])])
def test_an_imported_union_is_checked_by_the_forms_schema(district, api, db_session, field, value):
    import json

    client = api(district["street_admin"])
    text = f"- {{slug: checked, name: Checked, kind: enterprise, {field}: {json.dumps(value)}}}\n"
    response = send_tree(client, "street", text)
    assert response.status_code == 422 and any(field in m for m in response.json["errors"]["file"]), response.json
    assert db_session.scalar(sa.select(sa.func.count()).select_from(JobRecord)) == 0


BOMB = """a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
children: [*g]
"""


SELF = "children: &me [{slug: x, name: X, kind: street, children: *me}]\n"


@pytest.mark.parametrize("text", [BOMB, "&loop [*loop]\n", SELF, "[" * 5000 + "]" * 5000])
def test_alias_bombs_self_references_and_deep_nesting_are_refused_at_once(district, api, db_session, text):
    response = send_tree(api(district["street_admin"]), "street", text)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(JobRecord)) == 0


def test_a_union_cannot_move_itself_away_from_the_union_above_it(make_tree, make_user, grant, api, db_session):
    tree = make_tree("fed/street", "fed/elsewhere")
    admin = make_user("two-hats")
    grant(admin, "union_admin", tree["street"])
    grant(admin, "union_admin", tree["elsewhere"])  # may add sub-unions there
    response = api(admin).post("/api/v1/tenants/street/move", json={"parent": "elsewhere"})
    assert response.status_code == 403 and "parent" in response.json["errors"]
    db_session.expire_all()
    assert db_session.get(Tenant, tree["street"].id).parent_id == tree["fed"].id
    fed_admin = make_user("fed-hat")
    grant(fed_admin, "federation_admin", tree["fed"])
    assert api(fed_admin).post("/api/v1/tenants/street/move", json={"parent": "elsewhere"}).status_code == 200


def test_moving_inside_ones_own_subtree_still_works(make_tree, make_user, grant, api):
    make_tree("fed/street/c1", "fed/street/c2")
    admin = make_user("street-only")
    grant(admin, "union_admin", make_tree("fed/street")["street"])
    assert api(admin).post("/api/v1/tenants/c1/move", json={"parent": "c2"}).status_code == 200
