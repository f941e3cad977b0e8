from tests.isolation.world import Case, everyone, managed
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
    Case("members_api.join", "POST", "/api/v1/tenants/{own}/membership", everyone(201), body=lambda w: person()),
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
    Case("members_api.my_memberships", "GET", "/api/v1/me/memberships", everyone(200)),
    Case("members_api.follow", "POST", "/api/v1/tenants/{own}/follow", everyone(201)),
    Case("members_api.unfollow", "DELETE", "/api/v1/tenants/{own}/follow", everyone(204)),
    Case("members_api.my_follows", "GET", "/api/v1/me/follows", everyone(200)),
    # pages
    Case("members.directory", "GET", "/manage/{own}/members?include=subtree", managed(200), page=True),
    Case("members.member", "GET", "/manage/members/{member}", managed(200), page=True, setup=applicant("pending")),
    Case("members.reveal", "POST", "/manage/members/{member}/id-number", SENSITIVE, page=True,
         setup=applicant("active")),
    Case("members.approve", "POST", "/manage/members/{member}/approve", managed(302, officer=403), page=True,
         setup=applicant("pending")),
    Case("members.reject", "POST", "/manage/members/{member}/reject", managed(302, officer=403), page=True,
         setup=applicant("pending"), body={"reason": "Unknown to us"}),
]
