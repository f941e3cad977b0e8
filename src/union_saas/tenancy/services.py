"""Rules of the tenant tree. Functions take a session, flush, raise domain errors, never commit."""
import re

import sqlalchemy as sa
import yaml
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from union_saas.core.audit import params, plain, record
from union_saas.core.errors import Conflict, NotFound, ValidationFailed
from union_saas.tenancy.models import KINDS, Tenant, segment, subtree_clause

MAX_TREE_FILE = 8 * 1024 * 1024
MAX_TREE_NODES = 300_000  # YAML nodes (a union is about twenty): read before anything is built
MAX_TREE_DEPTH = 64  # nesting of YAML collections (a tree six unions deep needs fourteen)
MAX_TREE_UNIONS = 10_000
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
BATCH = 1000


def get_by_slug(session, slug) -> Tenant:
    tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == slug)) if slug else None
    if tenant is None:
        raise NotFound(_("No such union."))
    return tenant


def ancestors(session, tenant) -> list[Tenant]:
    """The ancestors, root first, in one query (ids parsed from the path)."""
    ids = tenant.ancestor_ids
    if not ids:
        return []
    by_id = {t.id: t for t in session.scalars(sa.select(Tenant).where(Tenant.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


def children_stmt(tenant, *, include_archived=False):
    stmt = sa.select(Tenant).where(Tenant.parent_id == tenant.id).order_by(Tenant.name, Tenant.id)
    if not include_archived:
        stmt = stmt.where(Tenant.status == "active")
    return stmt


def children(session, tenant, *, include_archived=False, limit=None, offset=0):
    stmt = children_stmt(tenant, include_archived=include_archived)
    if limit:
        stmt = stmt.limit(limit).offset(offset)
    return list(session.scalars(stmt))


def subtree(session, tenant):
    return sa.select(Tenant).where(subtree_clause(Tenant.path, tenant.path))


def search(session, root, text, limit=20):
    """Active unions of a federation whose name or slug contains ``text``."""
    text = text.strip()
    stmt = (sa.select(Tenant).where(Tenant.root_id == root.id, Tenant.status == "active",
                                    sa.or_(Tenant.name.contains(text, autoescape=True),
                                           Tenant.slug.contains(text, autoescape=True)))
            .order_by(Tenant.depth, Tenant.name).limit(limit))
    return list(session.scalars(stmt))


def check_slug(session, slug, field="slug"):
    if not SLUG_RE.match(slug or ""):
        raise ValidationFailed(errors={field: [_("Use 1 to 63 lowercase letters, digits and hyphens.")]})
    if session.scalar(sa.select(Tenant.id).where(Tenant.slug == slug)):
        raise Conflict(_("The address %(slug)s is taken.", slug=slug), errors={field: [_("Already taken.")]})


SLUG_MAX = 63


HAN_RUN = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)")


def slug_base(name) -> str:
    """A link name made from a union's name: each run of Chinese characters in pinyin, written together
    (春熙路街道工会 -> chunxilujiedaogonghui), Latin letters and digits kept, every other character a
    break (a hyphen); "union" when nothing is left."""
    from pypinyin import Style, lazy_pinyin

    parts = []
    for i, run in enumerate(HAN_RUN.split(name or "")):
        parts.append("".join(lazy_pinyin(run, style=Style.NORMAL)) if i % 2 else run)
    text = re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")
    return text[:SLUG_MAX - 4].strip("-") or "union"


def suggest_slug(session, name, *, taken=()) -> str:
    """A free link name for a union called ``name``: its pinyin, with -2, -3... on a clash (one query).
    ``taken`` adds slugs already used by the same request (a tree being built)."""
    base = slug_base(name)
    used = set(session.scalars(sa.select(Tenant.slug).where(
        sa.or_(Tenant.slug == base, Tenant.slug.startswith(base + "-", autoescape=True)))))
    used.update(taken)
    if base not in used:
        return base
    n = 2
    while f"{base}-{n}" in used:
        n += 1
    return f"{base}-{n}"


def _insert(session, parent, *, slug, name, kind, **fields) -> Tenant:
    tenant = Tenant(slug=slug, name=name, kind=kind, path=f"new:{slug}", parent_id=parent.id if parent else None,
                    depth=parent.depth + 1 if parent else 0, **fields)
    session.add(tenant)
    session.flush()
    tenant.path = (parent.path if parent else "/") + segment(tenant.id) + "/"
    tenant.root_id = parent.root_id if parent else tenant.id
    if parent is not None:
        session.execute(sa.update(Tenant).where(Tenant.id == parent.id)
                        .values(children_count=Tenant.children_count + 1))
        session.expire(parent, ["children_count"])
    session.flush()
    return tenant


def create_federation(session, actor, *, name, slug=None, **fields) -> Tenant:
    slug = slug or suggest_slug(session, name)
    check_slug(session, slug)
    tenant = _insert(session, None, slug=slug, name=name, kind="federation", **fields)
    record(session, action="tenant.create", actor=actor, tenant=tenant, target=slug,
           detail={"name": name, "kind": "federation"})
    return tenant


def create_child(session, actor, parent, *, name, kind, slug=None, **fields) -> Tenant:
    if kind not in KINDS or kind == "federation":
        raise ValidationFailed(errors={"kind": [_("A sub-union cannot be a federation.")]})
    if parent.status != "active":
        raise Conflict(_("An archived union cannot take new sub-unions."))
    slug = slug or suggest_slug(session, name)
    check_slug(session, slug)
    tenant = _insert(session, parent, slug=slug, name=name, kind=kind, **fields)
    record(session, action="tenant.create", actor=actor, tenant=tenant, target=slug,
           detail={"name": name, "kind": kind, "parent": parent.slug})
    return tenant


EDITABLE = ("name", "contact_name", "contact_phone", "contact_email", "address", "description")


def update(session, actor, tenant, data) -> Tenant:
    """Rename, edit contacts, archive or restore."""
    changes = {}
    for field in EDITABLE:
        if field in data and data[field] != getattr(tenant, field):
            changes[field] = [getattr(tenant, field), data[field]]
            setattr(tenant, field, data[field])
    status = data.get("status")
    if status and status != tenant.status:
        if status == "archived":
            if tenant.is_root:
                message = _("A federation cannot be archived here; ask the platform operator.")
                raise Conflict(message, errors={"status": [message]})
            live = session.scalar(sa.select(sa.func.count()).where(Tenant.parent_id == tenant.id,
                                                                   Tenant.status == "active"))
            if live:
                message = _("Archive or move its %(n)d active sub-unions first.", n=live)
                raise Conflict(message, errors={"status": [message]})
        elif tenant.parent_id and session.get(Tenant, tenant.parent_id).status != "active":
            message = _("Restore the parent union first.")
            raise Conflict(message, errors={"status": [message]})
        changes["status"] = [tenant.status, status]
        tenant.status = status
    if changes:
        session.flush()
        action = {"archived": "tenant.archive", "active": "tenant.restore"}.get(status, "tenant.edit")
        record(session, action=action, actor=actor, tenant=tenant, target=tenant.slug, detail=changes)
    return tenant


def move(session, actor, tenant, new_parent) -> Tenant:
    """Move ``tenant`` and its subtree under ``new_parent``: paths rewritten in one UPDATE."""
    if tenant.is_root:
        raise Conflict(_("A federation cannot be moved."))
    # Serialise structural changes inside one federation (two crossing moves could make a cycle).
    session.execute(sa.select(Tenant.id).where(Tenant.id == tenant.root_id).with_for_update())
    session.refresh(tenant)
    session.refresh(new_parent)
    if new_parent.root_id != tenant.root_id:
        raise Conflict(_("A union cannot move to another federation."), errors={"parent": [_("Another federation.")]})
    if new_parent.path.startswith(tenant.path):
        raise Conflict(_("A union cannot move into its own subtree."),
                       errors={"parent": [_("Inside the union being moved.")]})
    if new_parent.id == tenant.parent_id:
        return tenant
    if new_parent.status != "active":
        message = _("An archived union cannot take new sub-unions.")
        raise Conflict(message, errors={"parent": [message]})
    old_path, old_parent_id = tenant.path, tenant.parent_id
    new_path = new_parent.path + segment(tenant.id) + "/"
    delta = new_parent.depth + 1 - tenant.depth
    detail = {"from": old_path, "to": new_path, "parent": new_parent.slug}
    # Recorded at both places, so that the old and the new ancestors each see it.
    record(session, action="tenant.move", actor=actor, tenant=tenant, target=tenant.slug, detail=detail)
    session.flush()
    session.execute(
        sa.update(Tenant)
        .where(subtree_clause(Tenant.path, old_path))
        .values(path=sa.literal(new_path) + sa.func.substr(Tenant.path, len(old_path) + 1),
                depth=Tenant.depth + delta,
                parent_id=sa.case((Tenant.id == tenant.id, new_parent.id), else_=Tenant.parent_id))
        .execution_options(synchronize_session=False)
    )
    session.execute(sa.update(Tenant).where(Tenant.id == old_parent_id)
                    .values(children_count=Tenant.children_count - 1))
    session.execute(sa.update(Tenant).where(Tenant.id == new_parent.id)
                    .values(children_count=Tenant.children_count + 1))
    session.expire_all()
    record(session, action="tenant.move", actor=actor, tenant=tenant, target=tenant.slug, detail=detail)
    return tenant


# --- trees as data (tenants/*.yaml) ---------------------------------------------------------------

def _node_fields(node, *, top):
    """The fields of one node, checked by the schema of the form that creates a union: (fields, messages)."""
    import marshmallow as ma

    from union_saas.tenancy import schemas

    schema = schemas.TreeRootSchema() if top else schemas.TenantCreateSchema()
    data = {k: node[k] for k in ("slug", "name", "kind", *EDITABLE) if k in node and node[k] is not None}
    try:
        return schema.load(data), []
    except ma.ValidationError as error:
        # slug, name and kind have their messages from ``flatten_tree`` already
        return None, [f"{field}: {' '.join(str(m) for m in (msgs if isinstance(msgs, list) else [msgs]))}"
                      for field, msgs in error.messages.items() if field not in ("slug", "name", "kind")]


def flatten_tree(node, parent_slug=None, errors=None, seen=None, where="root", depth=0):
    """Validate a YAML tree and list its nodes parents first: [(parent_slug, fields)].

    Each node is checked by the schema of the form that creates a union (slug, name, kind, contacts).
    """
    errors = [] if errors is None else errors
    seen = set() if seen is None else seen
    out = []
    if not isinstance(node, dict):
        errors.append(_("%(where)s: expected a mapping with slug, name and kind.", where=where))
        return out, errors
    if len(seen) >= MAX_TREE_UNIONS or depth > MAX_TREE_DEPTH:
        errors.append(_("The tree holds more than %(n)d unions, or is nested too deeply.", n=MAX_TREE_UNIONS))
        return out, errors
    slug, name, kind = node.get("slug"), node.get("name"), node.get("kind")
    where = str(slug)[:80] if slug else where
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        errors.append(_("%(where)s: slug must be 1 to 63 lowercase letters, digits and hyphens.", where=where))
    elif slug in seen:
        errors.append(_("%(where)s: slug appears twice.", where=where))
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 120:
        errors.append(_("%(where)s: name must be 1 to 120 characters.", where=where))
    if kind not in KINDS or (kind == "federation") != (parent_slug is None):
        errors.append(_("%(where)s: kind must be one of %(kinds)s (federation only at the top).",
                        where=where, kinds=", ".join(KINDS)))
    seen.add(slug)
    fields, problems = _node_fields(node, top=parent_slug is None)
    errors.extend(f"{where}: {problem}" for problem in problems)
    if fields is not None:
        fields = {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}
        out.append((parent_slug, fields))
    kids = node.get("children") or []
    if not isinstance(kids, list):
        errors.append(_("%(where)s: children must be a list.", where=where))
        kids = []
    for child in kids:
        sub, _errors = flatten_tree(child, slug, errors, seen, where, depth + 1)
        out.extend(sub)
    return out, errors


def validate_subtree_data(data, under_slug):
    """Check a list of sub-unions (or ``{children: [...]}``); return its nodes or raise 422."""
    nodes, errors = [], []
    kids = data.get("children") if isinstance(data, dict) else data
    seen = {under_slug}
    if not isinstance(kids, list) or not kids:
        errors.append(_("Expected a non-empty list of sub-unions."))
    for child in kids if isinstance(kids, list) else []:
        sub, errors = flatten_tree(child, under_slug, errors, seen)
        nodes.extend(sub)
    if errors:
        raise ValidationFailed(_("The tree file has %(n)d problems.", n=len(errors)), errors={"file": errors[:50]})
    return nodes


def refuse_outside(tenants, under):
    """409 naming the unions of ``tenants`` (existing ones a tree file names) that are not below ``under``."""
    outside = sorted(t.slug for t in tenants if t.id == under.id or not t.path.startswith(under.path))
    if outside:
        raise Conflict(_("The address %(slug)s is taken.", slug=outside[0]),
                       errors={"file": [_("%(slug)s: this address is taken by a union outside %(union)s.",
                                          slug=slug, union=under.name) for slug in outside[:50]]})


def import_tree(session, actor, data, *, under=None, may_edit=True, progress=None):
    """Create the tenants of a tree (``tenants/*.yaml``) in bulk, parents first.

    ``under`` None: ``data`` is a whole federation (the operator's ``flask tenants load``). Otherwise ``data``
    lists sub-unions of ``under`` (``{children: [...]}``): it may create and update unions inside ``under``'s
    subtree only; a slug that exists anywhere else is refused (409), and updating existing unions needs
    ``may_edit`` (the importer's ``tenant.edit`` there). Existing slugs are updated in place (name,
    contacts), never moved, so loading the same file twice changes nothing. Every union created or changed
    is audited as the forms audit it (``tenant.create``, ``tenant.edit``), and the import as a whole.
    Returns counts.
    """
    from union_saas.core.errors import Forbidden

    if under is None:
        nodes, errors = flatten_tree(data)
        if errors:
            raise ValidationFailed(_("The tree file has %(n)d problems.", n=len(errors)), errors={"file": errors[:50]})
    else:
        nodes = validate_subtree_data(data, under.slug)
    existing = {t.slug: t for t in session.scalars(sa.select(Tenant).where(Tenant.slug.in_([f["slug"] for _p, f in nodes])))}
    by_slug = dict(existing)
    if under is not None:
        by_slug[under.slug] = under
        refuse_outside(existing.values(), under)
    created = updated = 0
    total = len(nodes)
    parent_of = {f["slug"]: p for p, f in nodes}
    # Insert in batches, one level at a time (a level's parents exist before it).
    pending = nodes
    while pending:
        ready = [(p, f) for p, f in pending if p is None or p in by_slug]
        pending = [(p, f) for p, f in pending if not (p is None or p in by_slug)]
        new_rows = []
        for parent_slug, fields in ready:
            if fields["slug"] in existing:
                tenant = existing[fields["slug"]]
                changed = {k: v for k, v in fields.items() if k not in ("slug", "kind") and getattr(tenant, k) != v}
                if changed:
                    if not may_edit:
                        raise Forbidden(_("Changing existing unions needs the right to edit them: %(slug)s.",
                                          slug=tenant.slug))
                    record(session, action="tenant.edit", actor=actor, tenant=tenant, target=tenant.slug,
                           detail={k: [getattr(tenant, k), v] for k, v in changed.items()})
                    for k, v in changed.items():
                        setattr(tenant, k, v)
                    updated += 1
                continue
            parent = by_slug.get(parent_slug)
            new_rows.append({**fields, "path": f"new:{fields['slug']}", "parent_id": parent.id if parent else None,
                             "depth": parent.depth + 1 if parent else 0})
        for start in range(0, len(new_rows), BATCH):
            batch = new_rows[start:start + BATCH]
            ids = session.execute(sa.insert(Tenant).returning(Tenant.id, Tenant.slug, sort_by_parameter_order=True),
                                  batch).all()
            fix = []
            for (tenant_id, slug), row in zip(ids, batch):
                parent = by_slug[parent_of[slug]] if row["parent_id"] else None
                path = (parent.path if parent else "/") + segment(tenant_id) + "/"
                fix.append({"id": tenant_id, "path": path, "root_id": parent.root_id if parent else tenant_id})
            session.execute(sa.update(Tenant), fix)
            created += len(batch)
            if progress:
                progress(created + updated, total)
        session.flush()
        if new_rows:
            for tenant in session.scalars(sa.select(Tenant).where(Tenant.slug.in_([r["slug"] for r in new_rows]))):
                by_slug[tenant.slug] = tenant
                record(session, action="tenant.create", actor=actor, tenant=tenant, target=tenant.slug,
                       detail={"name": tenant.name, "kind": tenant.kind, "parent": parent_of[tenant.slug],
                               "import": True})
        if not ready:
            break
    _recount_children(session, [t.id for t in by_slug.values()])
    target = under or by_slug[nodes[0][1]["slug"]]
    record(session, action="tenant.import", actor=actor, tenant=target, target=target.slug,
           detail={"created": created, "updated": updated})
    session.flush()
    return {"created": created, "updated": updated, "total": total, "root": target.slug}


def _recount_children(session, ids):
    child = sa.orm.aliased(Tenant)
    sub = sa.select(sa.func.count(child.id)).where(child.parent_id == Tenant.id).scalar_subquery()
    for start in range(0, len(ids), BATCH):
        session.execute(sa.update(Tenant).where(Tenant.id.in_(ids[start:start + BATCH]))
                        .values(children_count=sub).execution_options(synchronize_session=False))
    session.expire_all()


def export_tree(session, tenant) -> dict:
    """The subtree at ``tenant`` as nested data, the shape ``import_tree`` reads."""
    rows = session.scalars(subtree(session, tenant).order_by(Tenant.path)).all()
    nodes = {}
    for t in rows:
        node = {"slug": t.slug, "name": t.name, "kind": t.kind}
        node.update({k: getattr(t, k) for k in EDITABLE if k != "name" and getattr(t, k)})
        nodes[t.id] = node
        if t.id != tenant.id and t.parent_id in nodes:
            nodes[t.parent_id].setdefault("children", []).append(node)
    return nodes[tenant.id]


class _NoAliases(Exception):
    pass


def _check_yaml_shape(text):
    """Walk the file's YAML events (libyaml, no object built): refuse anchors and aliases (a tree has no use
    for them; they make alias bombs and self-referencing nodes), more than MAX_TREE_NODES nodes, or nesting
    deeper than MAX_TREE_DEPTH."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    nodes = depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _NoAliases()
        if isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            nodes += 1
            if nodes > MAX_TREE_NODES:
                raise ValidationFailed(errors={"file": [_("The file holds more than %(n)d entries.",
                                                          n=MAX_TREE_NODES)]})
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_TREE_DEPTH:
                raise ValidationFailed(errors={"file": [_("The file is nested too deeply.")]})
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
    return loader


def read_tree_file(stream):
    """Parse an uploaded YAML tree of sub-unions: size-capped, shape-checked before anything is built
    (no anchors or aliases, bounded nodes and depth), safe loader, checked, or a 422."""
    raw = stream.read(MAX_TREE_FILE + 1)
    if len(raw) > MAX_TREE_FILE:
        raise ValidationFailed(errors={"file": [_("The file is larger than 8 MB.")]})
    try:
        text = raw.decode("utf-8")
        loader = _check_yaml_shape(text)
        data = yaml.load(text, Loader=loader)  # a safe loader: CSafeLoader, or SafeLoader without libyaml
    except _NoAliases:
        raise ValidationFailed(errors={"file": [_("Anchors and aliases (& and *) are not accepted: write each "
                                                  "union out in full.")]}) from None
    except (UnicodeDecodeError, yaml.YAMLError):
        raise ValidationFailed(errors={"file": [_("Not a UTF-8 YAML file.")]}) from None
    if not isinstance(data, (dict, list)):
        raise ValidationFailed(errors={"file": [_("Expected a list of sub-unions, or a mapping with children.")]})
    nodes = validate_subtree_data(data, under_slug="upload")  # refused in the request, not later in the job
    return data, nodes


def check_tree_upload(session, stream, under):
    """``read_tree_file`` for an upload under ``under``, and a 409 now for slugs of unions outside its subtree
    (the job asks again when it runs)."""
    data, nodes = read_tree_file(stream)
    slugs = [fields["slug"] for _parent, fields in nodes]
    refuse_outside(session.scalars(sa.select(Tenant).where(Tenant.slug.in_(slugs))), under)
    return data


# --- the audit log's sentences ------------------------------------------------------------------------

FIELD_LABELS = {
    "name": _l("name"), "contact_name": _l("contact person"), "contact_phone": _l("phone"),
    "contact_email": _l("email"), "address": _l("address"), "description": _l("description"),
    "status": _l("status"),
}


@params("tenant.")
def _audit_params(session, entries):
    """Kinds and statuses by their labels, changes as "field: old → new", parents by their names."""
    from union_saas.tenancy.models import KIND_LABELS, STATUS_LABELS

    slugs = {(e.detail or {}).get("parent") for e in entries} - {None}
    names = dict(session.execute(sa.select(Tenant.slug, Tenant.name).where(Tenant.slug.in_(slugs))).all()) if slugs else {}
    out = {}
    for entry in entries:
        detail = entry.detail or {}
        extra = {}
        if "kind" in detail:
            extra["kind"] = str(KIND_LABELS.get(detail["kind"], detail["kind"]))
        if "parent" in detail:
            extra["parent"] = names.get(detail["parent"], detail["parent"])
        if entry.action == "tenant.edit":
            changes = []
            for field, change in detail.items():
                if isinstance(change, list) and len(change) == 2:
                    old, new = change
                    if field == "status":
                        old, new = (str(STATUS_LABELS.get(v, v)) for v in (old, new))
                    changes.append(f"{FIELD_LABELS.get(field, field)} {plain(old)} → {plain(new)}")
            extra["changes"] = "; ".join(changes) or "—"
        out[entry.id] = extra
    return out
