"""A district-scale federation for development, tests and benchmarks: ``flask demo seed --scale small|large``.

The generator is a list of steps run in order on one ``SeedContext``; each step reads what earlier
steps generated (tenant rows, user ids, who is a member where) and writes its own rows in bulk: COPY
on PostgreSQL, SQLAlchemy Core ``insert()`` with lists of rows in batches elsewhere. Ids are assigned
here (from the table's current maximum), so no row is read back.

Plugging in: a domain adds ``src/union_saas/<domain>/seed.py`` with
``SEED_STEPS = [(order, function), ...]``; ``function(ctx)`` is called after the core steps of a lower
order (tenants 10, users 20, memberships 30, follows 40, grants 50). Figures for later modules live in
``Scale.options`` (``ctx.scale.options["activities"]``...), so ``--scale large`` means the same size
everywhere.

Everything is drawn from ``random.Random(scale.seed)``: the same scale gives the same rows, except
that dates are spread over the two years before the day the seed runs.
"""
import bisect
import gc
import hmac
import importlib
import itertools
import json
import random
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from union_saas.access.models import Grant
from union_saas.accounts.models import User
from union_saas.core.db import UTCDateTime
from union_saas.members.models import Follow, Membership
from union_saas.tenancy.models import Tenant, path_ids, segment

PASSWORD = "union-demo-2026"  # every seeded account's password (one hash computed once: seeding stays fast)


@dataclass(frozen=True)
class Scale:
    name: str
    streets: int  # streets and towns under the federation
    communities_per_street: tuple  # (min, max) communities or villages per street
    social_orgs: int  # partner organisations, under the federation and the streets
    enterprises: int  # enterprise unions (under communities, a tenth directly under streets)
    big_enterprises: int  # the largest ones get branches (one level down) and teams (two levels down)
    users: int
    followers: int  # users following at least one tenant
    members: int  # users holding an active membership
    pending: int  # open join requests (users without an active membership)
    closed: int  # members with an earlier, closed membership (a transfer in their history)
    rejected: int  # refused join requests
    community_admin_share: float  # share of communities with their own union_admin
    seed: int = 2026
    options: dict = field(default_factory=dict)  # figures of later modules: activities, sign-ups...


SCALES = {
    "small": Scale("small", streets=4, communities_per_street=(5, 9), social_orgs=8, enterprises=220,
                   big_enterprises=4, users=3000, followers=2500, members=1500, pending=60, closed=90,
                   rejected=40, community_admin_share=0.34,
                   options={"activities": 200, "signups": 8000, "notices": 60, "tasks": 24}),
    "large": Scale("large", streets=16, communities_per_street=(12, 28), social_orgs=64, enterprises=3600,
                   big_enterprises=60, users=500_000, followers=420_000, members=250_000, pending=3000,
                   closed=12_000, rejected=2000, community_admin_share=0.34,
                   options={"activities": 10_000, "signups": 2_000_000, "notices": 1200, "tasks": 300}),
}
DEFAULT_SLUG = "qingyang"
BATCH = 5000

# --- names -------------------------------------------------------------------------------------------
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
            "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍建华红梅鑫斌宇浩凯健俊帆帅旭宁"
         "欣怡梓涵子轩雨萱浩然思远志强建国晓东海燕春梅国庆文博佳琪婷婷雪梅永红德华丹丹晨阳嘉怡宏伟立新金凤")
PLACES = ("春熙", "玉林", "双楠", "草堂", "府南", "抚琴", "西安路", "金沙", "光华", "苏坡", "文家", "黄田坝",
          "营门口", "驷马桥", "猛追湾", "水井坊", "合江亭", "牛市口", "沙河", "东光", "锦华", "桂溪", "石羊",
          "芳草", "红牌楼", "簇桥", "机投", "华兴", "柳城", "永宁", "新繁", "清流", "龙桥", "安德", "唐昌")
COMMUNITY_WORDS = ("东", "西", "南", "北", "新", "和平", "幸福", "长青", "花园", "桂苑", "锦绣", "翠竹", "荷花",
                   "杏林", "银杏", "紫荆", "金桂", "望江", "青龙", "白马", "清水", "石桥", "柏树", "桃园")
FIRM_WORDS = ("蓉城", "天府", "锦程", "川兴", "西蜀", "华联", "宏达", "恒信", "新希望", "金牛", "鑫源", "瑞丰",
              "博远", "众诚", "泰和", "长虹", "安达", "嘉禾", "永盛", "汇通", "同创", "德润", "海川", "中科")
INDUSTRIES = ("科技", "物流", "食品", "建设", "医药", "电子", "餐饮管理", "物业服务", "汽车销售", "家政服务",
              "快递", "商贸", "纺织", "机械制造", "印务", "软件", "环保", "旅游", "酒店管理", "连锁超市")
ORG_KINDS = ("志愿者协会", "社会工作服务中心", "职工服务站", "新就业形态劳动者协会", "律师事务所", "心理咨询中心")
PHONE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                  "156", "157", "158", "159", "166", "173", "176", "177", "180", "181", "182", "183", "185",
                  "186", "187", "188", "189", "191", "198", "199")


@dataclass
class TenantRow:
    id: int
    parent_id: int | None
    root_id: int
    path: str
    depth: int
    slug: str
    name: str
    kind: str
    weight: float  # share of members and followers drawn to it
    children_count: int = 0
    created_at: datetime | None = None


class _NoBar:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass


def _fast_datetime(value):
    """What ``UTCDateTime`` and SQLite's DATETIME make of a datetime (UTC, microseconds always written)."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store UTC-aware datetimes")
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


class SeedContext:
    """What the steps share: the connection, the scale, the random source, and the ids generated so far."""

    def __init__(self, session, scale: Scale, slug: str, progress=None):
        self.session = session
        self.connection = session.connection()
        self.dialect = self.connection.dialect.name
        self.scale = scale
        self.slug = slug
        self.rng = random.Random(scale.seed)
        self.progress = progress
        self.now = datetime.now(UTC).replace(second=0, microsecond=0)  # nothing generated lies after it
        self.start = self.now - timedelta(days=730)
        self.tenants: list[TenantRow] = []
        self.root: TenantRow | None = None
        self.user_ids: list[int] = []
        self.usernames: dict[int, str] = {}
        self.home: dict[int, int] = {}  # user id -> tenant id of the active membership
        self.joined_at: dict[int, datetime] = {}  # user id -> date the membership became active
        self.follows: dict[int, list[int]] = {}  # user id -> tenant ids followed
        self.follower_since: dict[int, datetime] = {}  # followers without membership -> their first follow
        self.admins: dict[str, list[tuple[int, int]]] = {}  # role -> [(user id, tenant id)]
        self.counts: dict[str, int] = {}
        self.user_created = array("d")  # registration times (timestamps), in the order of user_ids
        self.display_names: list[str] = []  # in the order of user_ids
        self.phone_offset = 0
        self.password_hash = None
        self._next_ids: dict[str, int] = {}

    # --- helpers for steps --------------------------------------------------------------------------
    def tenant(self, tenant_id) -> TenantRow:
        return self._by_id[tenant_id]

    def index_tenants(self):
        self._by_id = {t.id: t for t in self.tenants}

    def next_id(self, table) -> int:
        """The first free id of ``table``; ids are then handed out in sequence by the step. Steps may also let the
        table's own sequence number their rows (an INSERT without ids): the larger of the two counts."""
        current = self.connection.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0
        self._next_ids[table.name] = max(self._next_ids.get(table.name, 0), current + 1)
        return self._next_ids[table.name]

    def reserve_ids(self, table, count) -> range:
        first = self.next_id(table)
        self._next_ids[table.name] = first + count
        if count and self.dialect == "postgresql":
            # Rows numbered by the sequence later in the build must not take these ids.
            self.connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), {first + count - 1})")
        return range(first, first + count)

    def user_index(self, user_id) -> int:
        return user_id - self.user_ids[0]

    def mobile(self, index) -> str:
        """The mobile number of the ``index``-th user (distinct: 48271 is coprime with 10**8); the account
        may leave it out, the membership form asks for it."""
        return f"{PHONE_PREFIXES[index % len(PHONE_PREFIXES)]}{(48271 * index + self.phone_offset) % 10**8:08d}"

    def json(self, value):
        """A JSON column's value as ``insert`` takes it: text for COPY, the object for SQLAlchemy."""
        return json.dumps(value, ensure_ascii=False) if self.dialect == "postgresql" else value

    def date_between(self, start, end) -> datetime:
        span = max((end - start).total_seconds(), 1)
        return start + timedelta(seconds=self.rng.random() * span)

    def insert(self, table, columns, rows, total, label):
        """Write ``rows`` (tuples in ``columns`` order) into ``table``: COPY on PostgreSQL, Core elsewhere.

        ``self.progress(label, total)``, when given, returns a context manager with ``update(n)``
        (``click.progressbar`` is one). JSON columns take ``self.json(value)``."""
        with (self.progress(label, total) if self.progress else _NoBar()) as bar:
            done = 0
            if self.dialect == "postgresql":
                raw = self.connection.connection.driver_connection
                quoted = ", ".join(f'"{c}"' for c in columns)
                with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
                        done += 1
                        if done % BATCH == 0:
                            bar.update(BATCH)
                bar.update(done % BATCH)
            elif self.dialect == "sqlite":
                # The DB-API's executemany with each column's own bind processor (what Core would apply,
                # without building a dict and compiling parameters for each row): a few times faster.
                raw = self.connection.connection.driver_connection
                processors = [_fast_datetime if isinstance(table.c[c].type, UTCDateTime)
                              else table.c[c].type._cached_bind_processor(self.connection.dialect) for c in columns]
                converters = [(n, f) for n, f in enumerate(processors) if f is not None]  # None stays NULL
                sql = f'INSERT INTO "{table.name}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'

                def converted(row):
                    row = list(row)
                    for n, f in converters:
                        if row[n] is not None:
                            row[n] = f(row[n])
                    return row

                iterator = iter(rows)
                cursor = raw.cursor()
                while batch := [converted(row) for row in itertools.islice(iterator, BATCH)]:
                    cursor.executemany(sql, batch)
                    done += len(batch)
                    bar.update(len(batch))
                cursor.close()
            else:
                statement = table.insert()
                iterator = iter(rows)
                while batch := [dict(zip(columns, row)) for row in itertools.islice(iterator, BATCH)]:
                    self.connection.execute(statement, batch)
                    done += len(batch)
                    bar.update(len(batch))
        self.counts[table.name] = self.counts.get(table.name, 0) + done
        return done


# --- the core steps ----------------------------------------------------------------------------------
def _firm_name(rng, used):
    for _ in range(20):
        name = f"成都{rng.choice(FIRM_WORDS)}{rng.choice(INDUSTRIES)}有限公司工会"
        if name not in used:
            break
    else:
        name = f"成都{rng.choice(FIRM_WORDS)}{rng.choice(INDUSTRIES)}{len(used)}号有限公司工会"
    used.add(name)
    return name


def step_tenants(ctx: SeedContext):
    """The tree: federation, streets and towns, communities and villages, enterprises (a few large ones
    with branches and teams), partner organisations; paths, depths, roots and children counts written."""
    scale, rng = ctx.scale, ctx.rng
    ids = itertools.count(ctx.next_id(Tenant.__table__))
    rows: list[TenantRow] = []

    def add(parent, slug, name, kind, weight):
        tenant_id = next(ids)
        row = TenantRow(
            id=tenant_id, parent_id=parent.id if parent else None, root_id=parent.root_id if parent else tenant_id,
            path=(parent.path if parent else "/") + segment(tenant_id) + "/", depth=parent.depth + 1 if parent else 0,
            slug=slug, name=name, kind=kind, weight=weight,
            created_at=ctx.start + timedelta(days=parent.depth * 10 + rng.random() * 30 if parent else 0))
        if parent:
            parent.children_count += 1
        rows.append(row)
        return row

    root = add(None, ctx.slug, "青羊区总工会", "federation", 0.5)
    places = rng.sample(PLACES, min(scale.streets, len(PLACES)))
    streets, communities = [], []
    for n in range(scale.streets):
        town = n >= scale.streets * 0.65
        place = places[n] if n < len(places) else f"{rng.choice(PLACES)}{n}"
        street = add(root, f"{ctx.slug}-s{n + 1:02d}", f"{place}{'镇' if town else '街道'}总工会", "street", 1.0)
        streets.append(street)
        words = rng.sample(COMMUNITY_WORDS, len(COMMUNITY_WORDS))
        for c in range(rng.randint(*scale.communities_per_street)):
            word = words[c] if c < len(words) else f"{words[c % len(words)]}{c // len(words) + 1}"
            name = f"{place}{word}{'村' if town else '社区'}工会联合会"
            communities.append(add(street, f"{street.slug}-c{c + 1:02d}", name, "community", 3.0))
    for n in range(scale.social_orgs):
        parent = root if n < max(1, scale.social_orgs // 8) else rng.choice(streets)
        add(parent, f"{ctx.slug}-o{n + 1:03d}", f"{rng.choice(PLACES)}{rng.choice(ORG_KINDS)}工会", "social_org", 2.0)
    # Enterprise sizes: Pareto (a few large employers, a long tail of small shops), capped.
    used = set()
    firms = []
    for n in range(scale.enterprises):
        parent = rng.choice(streets) if rng.random() < 0.1 else rng.choice(communities)
        weight = min(rng.paretovariate(1.16), 400.0)
        firms.append(add(parent, f"{ctx.slug}-e{n + 1:04d}", _firm_name(rng, used), "enterprise", weight))
    # The largest employers get branches, and the branches teams: the tree's deepest levels.
    for firm in sorted(firms, key=lambda f: -f.weight)[: scale.big_enterprises]:
        branches = rng.randint(3, 10)
        share = firm.weight * 0.7 / branches
        firm.weight *= 0.3
        for b in range(branches):
            branch = add(firm, f"{firm.slug}-b{b + 1}", f"{firm.name.removesuffix('工会')}第{b + 1}分公司工会",
                         "enterprise", share)
            teams = rng.randint(0, 3)
            if teams:
                branch.weight = share * 0.4
            for t in range(teams):
                add(branch, f"{branch.slug}-t{t + 1}", f"{branch.name.removesuffix('工会')}{'一二三'[t]}班组工会",
                    "enterprise", share * 0.6 / teams)
    ctx.tenants, ctx.root = rows, root
    ctx.index_tenants()
    columns = ("id", "parent_id", "root_id", "path", "depth", "slug", "name", "kind", "status", "children_count",
               "timezone", "created_at")
    ctx.insert(Tenant.__table__, columns,
               ((t.id, t.parent_id, t.root_id, t.path, t.depth, t.slug, t.name, t.kind, "active", t.children_count,
                 "Asia/Shanghai", t.created_at) for t in rows), len(rows), "tenants")


def admin_username(ctx, tenant_slug):
    return f"{tenant_slug}-admin"


def step_users(ctx: SeedContext):
    """Accounts with Chinese names and mobile numbers, all with the one precomputed password hash.

    The first accounts are the administrators step_grants gives roles to (``<tenant slug>-admin``)."""
    scale, rng = ctx.scale, ctx.rng
    admin_tenants = [ctx.root] + [t for t in ctx.tenants if t.kind == "street"]
    communities = [t for t in ctx.tenants if t.kind == "community"]
    admin_tenants += [t for t in communities if rng.random() < scale.community_admin_share]
    if len(admin_tenants) > scale.users:
        raise ValueError("more administrators than users: raise --users")
    ids = ctx.reserve_ids(User.__table__, scale.users)
    ctx.user_ids = list(ids)
    ctx.admin_tenants = [(ids[i], t.id) for i, t in enumerate(admin_tenants)]
    offset = rng.randrange(10**8)
    given = [GIVEN[i:i + 1] for i in range(len(GIVEN))]
    month_ago = ctx.now - timedelta(days=30)
    ctx.phone_offset = offset

    def rows():
        for i, user_id in enumerate(ids):
            if i < len(admin_tenants):
                username = admin_username(ctx, admin_tenants[i].slug)
            else:
                username = f"{ctx.slug}-{i:06d}"
            ctx.usernames[user_id] = username
            name = rng.choice(SURNAMES) + "".join(rng.choices(given, k=1 if rng.random() < 0.3 else 2))
            ctx.display_names.append(name)
            phone = None if rng.random() < 0.08 else ctx.mobile(i)
            # The administrators' accounts come first, with their unions; the others over the two years.
            created = ctx.date_between(ctx.start, ctx.start + timedelta(days=20) if i < len(admin_tenants) else ctx.now)
            ctx.user_created.append(created.timestamp())
            # Three in four have signed in since they registered; half of those within the last 30 days.
            last_login = None
            if rng.random() < 0.75:
                recent = max(created, month_ago)
                last_login = ctx.date_between(recent, ctx.now) if rng.random() < 0.5 or created >= month_ago \
                    else ctx.date_between(created, month_ago)
            yield (user_id, username, name, phone, ctx.password_hash, False, True, 0, None, created, last_login)

    columns = ("id", "username", "display_name", "phone", "password_hash", "is_operator", "active",
               "token_generation", "locale", "created_at", "last_login_at")
    ctx.insert(User.__table__, columns, rows(), scale.users, "users")


def _weighted_picker(ctx, tenants):
    cumulative = list(itertools.accumulate(t.weight for t in tenants))
    total = cumulative[-1]
    rng = ctx.rng

    def pick():
        return tenants[bisect.bisect_left(cumulative, rng.random() * total)]

    return pick


ID_REGIONS = ("510105", "510104", "510106", "510107", "510108", "510112", "510113", "510114", "510115", "510116",
              "510117", "510121", "510129", "510131", "510181", "510182", "510183", "510184", "510185", "511002",
              "511304", "511702", "510704", "513401", "500101", "500103", "520102", "530102", "610113", "420106")
REJECT_REASONS = (None, None, "未在本单位工作，请向所在单位工会申请", "请上传在职证明后重新申请", "姓名与身份证号不一致")
VERIFIED_SHARE = 0.68  # active memberships found on their union's roster
ROSTER_ONLY_SHARE = 0.08  # people on the rosters who have no account (yet), per verified member


def _id_numbers(rng):
    """Valid, distinct resident ID numbers (GB 11643: region, birth date 1966-2004, sequence, check digit).

    The check digit's weighted sum is added up from precomputed parts (region, date, sequence): the same
    digit as ``identity.check_digit``, a few times faster."""
    from union_saas.members.identity import CHECK, WEIGHTS

    def part(digits, offset):
        return sum(int(d) * w for d, w in zip(digits, WEIGHTS[offset:]))

    regions = [(r, part(r, 0)) for r in ID_REGIONS]
    born_from = datetime(1966, 1, 1).toordinal()
    days = [(d, part(d, 6)) for d in (f"{datetime.fromordinal(n):%Y%m%d}"
                                       for n in range(born_from, datetime(2004, 12, 31).toordinal()))]
    sequences = [(f"{n:03d}", part(f"{n:03d}", 14)) for n in range(1000)]
    used = set()
    random = rng.random
    while True:
        region, a = regions[int(random() * len(regions))]
        day, b = days[int(random() * len(days))]
        sequence, c = sequences[int(random() * 1000)]
        first17 = region + day + sequence
        if first17 not in used:
            used.add(first17)
            yield first17 + CHECK[(a + b + c) % 11]


def nearest_holder(ctx, holder):
    """tenant id -> the user ``holder`` names at the tenant or at its nearest ancestor that has one
    (``holder``: tenant id -> user id); tenants with none above them are left out."""
    out = {}
    for t in ctx.tenants:
        for ancestor in reversed(path_ids(t.path)):
            if ancestor in holder:
                out[t.id] = holder[ancestor]
                break
    return out


def _reviewers(ctx):
    """tenant id -> the administrator who reviews its requests (the nearest one at or above it)."""
    return nearest_holder(ctx, {tenant_id: user_id for user_id, tenant_id in ctx.admin_tenants})


def step_memberships(ctx: SeedContext):
    """One active membership for ``members`` users (drawn to unions by weight), plus pending, closed (an
    earlier union before a transfer: the active one is then the transfer) and rejected requests.

    Every request carries the real-name data the join form asks for (name, mobile, an ID number: valid,
    distinct, encrypted and blind-indexed with the members' own keys, as ``members.services.join`` stores
    them). A share of the active memberships is verified: their union's roster holds the same name and
    ID number (a ``RosterEntry`` linked to the account), found at the join or by a later roster import.
    """
    from union_saas.members import crypto
    from union_saas.members.identity import mask_id
    from union_saas.members.models import RosterEntry

    scale, rng = ctx.scale, ctx.rng
    keys = crypto.keys()
    order = ctx.user_ids[:]
    rng.shuffle(order)
    ctx.user_order = order
    members = order[: scale.members]
    non_members = order[scale.members:]
    places = [t for t in ctx.tenants if t.kind not in ("federation", "social_org")] or ctx.tenants
    pick = _weighted_picker(ctx, places)
    first_id = ctx.next_id(Membership.__table__)
    ctx.reserve_ids(Membership.__table__, scale.members + scale.pending + scale.closed + scale.rejected)
    root_of = {t.id: t.root_id for t in ctx.tenants}
    reviewer = _reviewers(ctx)
    numbers = _id_numbers(random.Random(f"{scale.seed}/{ctx.slug}/id-numbers"))  # per federation: one person each
    roster = []  # (tenant id, name, id hash, cipher, masked, phone, user id, created at)
    hour = timedelta(hours=1)
    latest = ctx.now - timedelta(minutes=5)

    def registered(user_id):
        return datetime.fromtimestamp(ctx.user_created[ctx.user_index(user_id)], UTC)

    def blind_index(number):  # keys.blind_index, with the one-shot HMAC
        return hmac.digest(keys.index, ("id:" + number).encode("utf-8"), "sha256").hex()

    def identity(user_id):
        number = next(numbers)
        return (ctx.display_names[ctx.user_index(user_id)], ctx.mobile(ctx.user_index(user_id)),
                blind_index(number), keys.encrypt(number.encode("ascii"), b"id_number"), mask_id(number))

    def active(n, user_id, earlier=None):
        """The active membership of ``members[n]``: a transfer from ``earlier`` (tenant, membership id) if given."""
        tenant = pick()
        ctx.home[user_id] = tenant.id
        person = identity(user_id)
        low = max(ctx.start, tenant.created_at, registered(user_id))
        if earlier:
            low = min(max(low, earlier[0].created_at) + timedelta(days=rng.randint(30, 200)),
                      max(low, ctx.now - timedelta(days=4)))
        created = ctx.date_between(low, max(ctx.now - timedelta(days=3), low + hour))
        verified = rng.random() < VERIFIED_SHARE
        on_roster = ctx.date_between(ctx.start, created)
        if verified and rng.random() < 0.4:  # on the roster already: active at once, nobody reviews
            decided, decided_by, verified_at = created, None, created
        else:
            decided = min(created + timedelta(hours=rng.randint(1, 96)), max(created, latest))
            decided_by = reviewer.get(tenant.id)
            verified_at = on_roster = ctx.date_between(decided, ctx.now) if verified else None  # an import
        if verified:
            roster.append((tenant.id, person[0], *person[2:], person[1], user_id, on_roster))
        ctx.joined_at[user_id] = decided
        row = (first_id + n, user_id, tenant.id, root_of[tenant.id], "active", created, decided,
               "transfer" if earlier else "join", earlier[1] if earlier else None, *person, verified_at, decided_by,
               None)
        return row, created, decided, person

    def rows():
        # Members with a transfer in their history: the earlier (closed) membership goes in first.
        transferred = {}
        for n, user_id in enumerate(members[: scale.closed]):
            tenant, closed_id = pick(), first_id + scale.members + n
            row, transfer_created, transfer_decided, person = active(n, user_id, (tenant, closed_id))
            transferred[user_id] = row
            low = max(ctx.start, tenant.created_at, registered(user_id))
            created = ctx.date_between(low, max(transfer_created - timedelta(days=20), low + hour))
            yield (closed_id, user_id, tenant.id, root_of[tenant.id], "closed", created, transfer_decided, "join",
                   None, *person, None, reviewer.get(tenant.id), None)
        for n, user_id in enumerate(members):
            yield transferred.pop(user_id) if user_id in transferred else active(n, user_id)[0]
        pending_ids = itertools.count(first_id + scale.members + scale.closed)
        for user_id in non_members[: scale.pending]:
            tenant = pick()
            created = ctx.date_between(max(ctx.now - timedelta(days=30), registered(user_id)), ctx.now)
            yield (next(pending_ids), user_id, tenant.id, root_of[tenant.id], "pending", created, None, "join", None,
                   *identity(user_id), None, None, None)
        for user_id in non_members[scale.pending: scale.pending + scale.rejected]:
            tenant = pick()
            low = max(ctx.start, tenant.created_at, registered(user_id))
            created = ctx.date_between(low, max(ctx.now - timedelta(days=5), low + hour))
            yield (next(pending_ids), user_id, tenant.id, root_of[tenant.id], "rejected", created,
                   min(created + timedelta(days=rng.randint(1, 5)), latest), "join", None, *identity(user_id), None,
                   reviewer.get(tenant.id), rng.choice(REJECT_REASONS))

    columns = ("id", "user_id", "tenant_id", "root_id", "status", "created_at", "decided_at", "kind",
               "from_membership_id", "real_name", "phone", "id_hash", "id_cipher", "id_masked", "verified_at",
               "decided_by_id", "reason")
    ctx.insert(Membership.__table__, columns, rows(), scale.members + scale.closed + scale.pending + scale.rejected,
               "memberships")

    # The rosters: every verified member, and people who have no account yet.
    by_tenant = {}
    for row in roster:
        by_tenant.setdefault(row[0], []).append(row)
    surnames, given = SURNAMES, GIVEN
    for tenant_id, rows_here in by_tenant.items():
        for _ in range(int(len(rows_here) * ROSTER_ONLY_SHARE + rng.random())):
            number = next(numbers)
            name = rng.choice(surnames) + "".join(rng.choices(given, k=2))
            rows_here.append((tenant_id, name, blind_index(number),
                              keys.encrypt(number.encode("ascii"), b"id_number"), mask_id(number),
                              ctx.mobile(rng.randrange(10**6, 10**7)), None, ctx.date_between(ctx.start, ctx.now)))
    total = sum(len(r) for r in by_tenant.values())
    roster_ids = iter(ctx.reserve_ids(RosterEntry.__table__, total))

    def roster_rows():
        for tenant_id in sorted(by_tenant):
            tenant = ctx.tenant(tenant_id)
            work_unit = tenant.name.removesuffix("工会") if tenant.kind == "enterprise" else None
            for n, (_t, name, id_hash, cipher, masked, phone, user_id, created) in enumerate(by_tenant[tenant_id]):
                unit = work_unit or f"成都{FIRM_WORDS[(tenant_id + n) % len(FIRM_WORDS)]}" \
                                    f"{INDUSTRIES[(n * 7) % len(INDUSTRIES)]}有限公司"
                yield (next(roster_ids), tenant_id, tenant.root_id, name, id_hash, cipher, masked, phone, unit,
                       f"{tenant_id:05d}{n + 1:05d}", user_id, created, None)

    ctx.insert(RosterEntry.__table__, ("id", "tenant_id", "root_id", "name", "id_hash", "id_cipher", "id_masked",
                                       "phone", "work_unit", "member_number", "user_id", "created_at", "updated_at"),
               roster_rows(), total, "rosters")


def step_follows(ctx: SeedContext):
    """``followers`` users follow one to three tenants: most members their own union (and often one above
    it), the others unions drawn by weight."""
    scale, rng = ctx.scale, ctx.rng
    order = ctx.user_order
    # Most members follow, and the rest of the followers are non-members.
    skip = max(0, scale.members - scale.followers) + min(scale.members, scale.followers) // 12
    skip = max(0, min(skip, len(order) - scale.followers))
    followers = order[skip: skip + scale.followers]
    pick = _weighted_picker(ctx, ctx.tenants)
    ids = ctx.next_id(Follow.__table__)
    plan = []
    for user_id in followers:
        chosen = []
        home = ctx.home.get(user_id)
        if home is not None and rng.random() < 0.85:
            chosen.append(home)
            parent = ctx.tenant(home).parent_id
            if parent is not None and rng.random() < 0.35:
                chosen.append(parent)
        want = max(1, len(chosen)) + (1 if rng.random() < 0.25 else 0)
        while len(chosen) < want:
            tenant_id = pick().id
            if tenant_id not in chosen:
                chosen.append(tenant_id)
        ctx.follows[user_id] = chosen
        plan.extend((user_id, tenant_id) for tenant_id in chosen)
    ctx.reserve_ids(Follow.__table__, len(plan))

    def rows():
        for n, (user_id, tenant_id) in enumerate(plan):
            tenant = ctx.tenant(tenant_id)
            low = max(tenant.created_at, datetime.fromtimestamp(ctx.user_created[ctx.user_index(user_id)], UTC))
            created = ctx.date_between(low, max(low, ctx.now))
            if user_id not in ctx.home:  # when a follower without membership first saw the federation's offers
                ctx.follower_since[user_id] = min(created, ctx.follower_since.get(user_id, created))
            yield (ids + n, user_id, tenant_id, tenant.root_id, created)

    ctx.insert(Follow.__table__, ("id", "user_id", "tenant_id", "root_id", "created_at"), rows(), len(plan), "follows")


def step_grants(ctx: SeedContext):
    """federation_admin at the root; union_admin at every street and at a share of the communities;
    union_officer at the largest enterprises (an ordinary member of each)."""
    grants = []
    for user_id, tenant_id in ctx.admin_tenants:
        role = "federation_admin" if tenant_id == ctx.root.id else "union_admin"
        grants.append((user_id, role, tenant_id))
    fed_admin = ctx.admin_tenants[0][0]
    members_at = {}
    for user_id, tenant_id in ctx.home.items():
        members_at.setdefault(tenant_id, user_id)
    big = sorted((t for t in ctx.tenants if t.kind == "enterprise" and t.id in members_at), key=lambda t: -t.weight)
    for tenant in big[: max(1, ctx.scale.big_enterprises // 2)]:
        grants.append((members_at[tenant.id], "union_officer", tenant.id))
    ids = ctx.reserve_ids(Grant.__table__, len(grants))

    def granted(user_id, tenant_id):
        """When the grant may have been made: administrators with their union, officers once members."""
        low = max(ctx.tenant(tenant_id).created_at, ctx.start + timedelta(days=20),
                  ctx.joined_at.get(user_id, ctx.start))
        return low, min(low + timedelta(days=10), ctx.now - timedelta(days=1))

    for user_id, role, tenant_id in grants:
        ctx.admins.setdefault(role, []).append((user_id, tenant_id))
    columns = ("id", "user_id", "role", "tenant_id", "root_id", "granted_by_id", "granted_at_id", "created_at",
               "expires_at", "revoked_at", "revoked_by_id")
    # Every grant is made by the federation's admin, from the federation (what grant_role records).
    ctx.insert(Grant.__table__, columns,
               ((gid, u, r, t, ctx.tenant(t).root_id, None if u == fed_admin else fed_admin, ctx.tenant(t).root_id,
                 ctx.date_between(*granted(u, t)), None, None, None)
                for gid, (u, r, t) in zip(ids, grants)), len(grants), "grants")


CORE_STEPS = [(10, step_tenants), (20, step_users), (30, step_memberships), (40, step_follows), (50, step_grants)]


def steps(domains):
    """The core steps and those of every domain's ``seed.py`` (``SEED_STEPS``), in order."""
    found = list(CORE_STEPS)
    for domain in domains:
        try:
            module = importlib.import_module(f"union_saas.{domain}.seed")
        except ModuleNotFoundError as error:
            if error.name != f"union_saas.{domain}.seed":
                raise
            continue
        found.extend(getattr(module, "SEED_STEPS", []))
    return [fn for _order, fn in sorted(found, key=lambda pair: pair[0])]


def finish(ctx: SeedContext):
    """Move PostgreSQL's sequences past the ids given here, and refresh the planner's statistics."""
    if ctx.dialect != "postgresql":
        return
    for name in ctx._next_ids:
        ctx.connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), (SELECT max(id) FROM \"{name}\"))")
        ctx.connection.exec_driver_sql(f'ANALYZE "{name}"')


def seed(session, scale: Scale | str, *, slug=DEFAULT_SLUG, password_hash, domains=(), progress=None) -> SeedContext:
    """Build the federation ``slug`` at ``scale`` in the session's transaction (the caller commits)."""
    if isinstance(scale, str):
        scale = SCALES[scale]
    if session.scalar(sa.select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise ValueError(f"a tenant {slug!r} exists already: seed into an empty database or pass another --slug")
    ctx = SeedContext(session, scale, slug, progress)
    ctx.password_hash = password_hash
    # Millions of long-lived rows and ids: the cyclic collector would walk them again and again, for nothing
    # (the steps make no reference cycles worth collecting).
    collecting = gc.isenabled()
    gc.disable()
    try:
        for step in steps(domains):
            step(ctx)
    finally:
        if collecting:
            gc.enable()
    finish(ctx)
    session.expire_all()
    return ctx
