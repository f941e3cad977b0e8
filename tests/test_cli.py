"""The commands of the README."""
import yaml

from union_saas.accounts.models import User
from union_saas.tenancy import services


def test_create_operator_and_load_then_export_a_tree(app, db_session, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create-operator", "opsperson", "--password", "violet tram harbour 9"])
    assert result.exit_code == 0, result.output
    assert db_session.query(User).filter_by(username="opsperson").one().is_operator
    tree = {"slug": "cli-fed", "name": "CLI 总工会", "kind": "federation",
            "children": [{"slug": "cli-street", "name": "CLI 街道", "kind": "street"}]}
    path = tmp_path / "tree.yaml"
    path.write_text(yaml.safe_dump(tree, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(args=["tenants", "load", str(path)])
    assert result.exit_code == 0 and "2 created" in result.output, result.output
    assert runner.invoke(args=["tenants", "load", str(path)]).output.strip().endswith("0 created, 0 updated.")
    assert services.get_by_slug(db_session, "cli-street").depth == 1
    out = tmp_path / "out.yaml"
    assert runner.invoke(args=["tenants", "export", "cli-fed", "-o", str(out)]).exit_code == 0
    assert yaml.safe_load(out.read_text(encoding="utf-8")) == tree


def test_a_bad_tree_file_is_refused_by_the_cli(app, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("slug: Not A Slug\nname: x\nkind: federation\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["tenants", "load", str(path)])
    assert result.exit_code != 0 and "slug" in result.output


def test_the_demo_loads_once_with_its_accounts(app, db_session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "ensure"])
    assert result.exit_code == 0 and "district-admin" in result.output, result.output
    assert services.get_by_slug(db_session, "jinjiang").children_count >= 5
    assert "left alone" in runner.invoke(args=["demo", "ensure"]).output


def test_the_operator_creates_a_federation_whose_admin_can_manage_it(make_user, api):
    operator = make_user("op", operator=True)
    make_user("first-admin")
    response = api(operator).post("/api/v1/admin/federations",
                                  json={"slug": "new-district", "name": "新区总工会", "admin_username": "first-admin"})
    assert response.status_code == 201 and response.get_json()["path"] == ["new-district"]
    from union_saas.extensions import db

    first = db.session.query(User).filter_by(username="first-admin").one()
    created = api(first).post("/api/v1/tenants/new-district/children",
                              json={"slug": "nd-street", "name": "街道", "kind": "street"})
    assert created.status_code == 201 and created.get_json()["path"] == ["new-district", "nd-street"]
    assert api(operator).post("/api/v1/admin/federations",
                              json={"slug": "x-district", "name": "X", "admin_username": "nobody"}).status_code == 404


def test_jobs_schedule_lists_what_runs_when(app):
    output = app.test_cli_runner().invoke(args=["jobs", "schedule"]).output
    assert "union_saas.core.jobs:sweep_outbox  [default]  every 60 s  Hand on the jobs Redis lost" in output
    assert "union_saas.insights.tasks:refresh_federations  [default]  every 600 s" in output
    assert "union_saas.office.tasks:daily_due_reminders  [default]  cron 0 8 * * * (the scheduler's local time)" in output
