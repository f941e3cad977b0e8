from tests.isolation.world import Case, everyone, managed, members
from tests.members.conftest import person


def applicant(status):
    def setup(world, session):
        from union_saas.accounts.models import User
        from union_saas.members import crypto, identity
        from union_saas.members.models import Membership

        tenant = world.tenants["a-s1"]
        user = User(username=f"applicant-{status}", display_name="Applicant", password_hash="x")
        session.add(user)
        session.flush()
        data = person("李四")
        row = Membership(user_id=user.id, tenant_id=tenant.id, root_id=tenant.root_id, status=status,
                         real_name=data["real_name"], phone=data["phone"], id_hash=crypto.id_hash(data["id_number"]),
                         id_cipher=crypto.encrypt_id(data["id_number"]), id_masked=identity.mask_id(data["id_number"]))
        session.add(row)
        session.flush()
        return {"member": row.id}

    return setup


SENSITIVE = {**managed(200, officer=403), "own_admin": 403}
# Moving a member straight away needs review rights at both ends (a-s1 and a-s2): only the parent admin.
TRANSFER = {**managed(200, officer=403), "own_admin": 403}

CASES = [
    # A member somewhere already: they transfer instead (409).
    Case("members_api.join", "POST", "/api/v1/tenants/{own}/membership", everyone(201), body=lambda w: person(),
         members=members(409)),
    Case("members_api.list_members", "GET", "/api/v1/tenants/{own}/members?status=pending", managed(200)),
    Case("members_api.member_counts", "GET", "/api/v1/tenants/{own}/members/counts", managed(200)),
    Case("members_api.get_member", "GET", "/api/v1/members/{member}", managed(200), setup=applicant("pending")),
    Case("members_api.reveal_id_number", "GET", "/api/v1/members/{member}/id-number", SENSITIVE,
         setup=applicant("active")),
    Case("members_api.approve", "POST", "/api/v1/members/{member}/approve", managed(200, officer=403),
         setup=applicant("pending"), body={}),
    Case("members_api.reject", "POST", "/api/v1/members/{member}/reject", managed(200, officer=403),
         setup=applicant("pending"), body={"reason": "Not on our payroll"}),
    Case("members_api.transfer", "POST", "/api/v1/members/{member}/transfer", TRANSFER,
         setup=applicant("active"), body={"tenant": "a-s2"}),
    Case("members_api.password_reset_link", "POST", "/api/v1/members/{member}/password-reset-link",
         managed(201, officer=403), setup=applicant("active")),
    Case("members_api.my_memberships", "GET", "/api/v1/me/memberships", everyone(200)),
    Case("members_api.follow", "POST", "/api/v1/tenants/{own}/follow", everyone(201)),
    Case("members_api.unfollow", "DELETE", "/api/v1/tenants/{own}/follow", everyone(204)),
    Case("members_api.my_follows", "GET", "/api/v1/me/follows", everyone(200)),
    # pages
    Case("members.find", "GET", "/join?q=A", everyone(200, anonymous=200), page=True),
    Case("members.join_form", "GET", "/t/{own}/join", everyone(200), page=True),
    Case("members.join", "POST", "/t/{own}/join", everyone(302), page=True, body=lambda w: person(),
         members=members(409)),
    # Nobody here is a member anywhere but the members: the others have nothing to move (422); a member of
    # a-s1 is there already (422), the others ask a-s1 to take them (302).
    Case("members.transfer", "POST", "/t/{own}/transfer", everyone(422), page=True,
         members=members(302, member_own=422)),
    Case("members.withdraw", "POST", "/t/{own}/withdraw", everyone(302), page=True),
    Case("members.follow", "POST", "/t/{own}/follow", everyone(302), page=True),
    Case("members.me", "GET", "/t/{own}/me", everyone(200), page=True),
    Case("members.directory", "GET", "/manage/{own}/members?include=subtree", managed(200), page=True),
    Case("members.member", "GET", "/manage/members/{member}", managed(200), page=True, setup=applicant("pending")),
    Case("members.reveal", "POST", "/manage/members/{member}/id-number", SENSITIVE, page=True,
         setup=applicant("active")),
    Case("members.reset_link", "POST", "/manage/members/{member}/reset-link", managed(200, officer=403), page=True,
         setup=applicant("active")),
    Case("members.approve", "POST", "/manage/members/{member}/approve", managed(302, officer=403), page=True,
         setup=applicant("pending")),
    Case("members.reject", "POST", "/manage/members/{member}/reject", managed(302, officer=403), page=True,
         setup=applicant("pending"), body={"reason": "Unknown to us"}),
]


def roster_csv():
    import io

    who = person("孙八")
    text = f"姓名,身份证号,手机号\n{who['real_name']},{who['id_number']},{who['phone']}\n"
    return {"file": (io.BytesIO(text.encode("gbk")), "roster.csv")}


def own_admins_file(world, session):
    """A finished export job of own_admin at a-s1, with its file."""
    from union_saas.core import xlsx
    from union_saas.core.jobs import JobRecord
    from union_saas.members import services

    record = JobRecord(kind="union_saas.members.tasks:export_members", owner_id=world.users["own_admin"].id,
                       tenant_id=world.tenants["a-s1"].id, status="finished", progress=100)
    session.add(record)
    session.flush()
    book = xlsx.Book()
    book.sheet("Members", ["Name"]).append(["x"])
    row = services.keep_file(session, kind="export", tenant_id=world.tenants["a-s1"].id,
                             owner_id=world.users["own_admin"].id, job_id=record.id, filename="members-a-s1.xlsx",
                             content=book.save())
    record.result = {"rows": 1, "file": row.id}
    session.flush()
    return {"job": record.id, "file": row.id}


OWNER_ONLY = {**everyone(404), "own_admin": 200}

CASES += [
    Case("members_api.export", "POST", "/api/v1/tenants/{own}/members/export", managed(202),
         body={"include": "subtree"}),
    Case("members_api.download", "GET", "/api/v1/tenants/{own}/members/files/{file}", OWNER_ONLY,
         setup=own_admins_file),
    Case("members_api.upload_roster", "POST", "/api/v1/tenants/{own}/roster", managed(202, officer=403),
         files=roster_csv),
    Case("members_api.poster", "GET", "/api/v1/tenants/{own}/poster.png", managed(200)),
    # pages
    Case("members.export", "POST", "/manage/{own}/members/export?include=subtree", managed(302), page=True),
    Case("members.job_page", "GET", "/manage/{own}/members/jobs/{job}", OWNER_ONLY, page=True,
         setup=own_admins_file),
    Case("members.download", "GET", "/manage/{own}/members/files/{file}", OWNER_ONLY, page=True,
         setup=own_admins_file),
    Case("members.roster", "GET", "/manage/{own}/roster", managed(200, officer=403), page=True),
    Case("members.upload_roster", "POST", "/manage/{own}/roster", managed(302, officer=403), page=True,
         files=roster_csv),
    Case("members.poster", "GET", "/manage/{own}/poster.png", managed(200), page=True),
]

# Only the applicant may withdraw a request: to every caller here it is someone else's.
CASES.append(Case("members_api.withdraw", "POST", "/api/v1/members/{member}/withdraw", everyone(404),
                  setup=applicant("pending")))
