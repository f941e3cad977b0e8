"""The roster import: validate every row first, then write in one transaction (no partial import).

Rows are matched by the ID number's blind index: a new number is imported, a known one updated when
its name, phone, work unit or member number changed, else left alone, so the same file twice changes
nothing. A row whose name, ID number and mobile number match a membership of this union links that account (and a
pending join becomes active: the roster now holds that person).
"""
import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from union_saas.core import xlsx
from union_saas.core.audit import record as audit
from union_saas.core.db import utcnow
from union_saas.core.i18n import zone_of
from union_saas.members import crypto, identity, roster, services
from union_saas.members.models import Membership, RosterEntry

BATCH = 5000
REPORT_SHOWN = 100
LIMITS = {"work_unit": 120, "member_number": 40}


def check_row(values, seen, number):
    """(cleaned dict, None) or (None, reason) for one row; ``seen`` maps blind index -> first row number."""
    name = " ".join(values.get("name", "").split())
    problem = identity.name_problem(name)
    if problem:
        return None, problem
    id_number = identity.normalise_id(values.get("id_number"))
    problem = identity.id_problem(id_number)
    if problem:
        return None, problem
    phone = identity.normalise_phone(values.get("phone"))
    problem = identity.phone_problem(phone)
    if problem:
        return None, problem
    extra = {}
    for column, limit in LIMITS.items():
        value = values.get(column, "").strip()
        if len(value) > limit:
            return None, _("%(column)s is longer than %(n)d characters.", column=column, n=limit)
        if identity.ids_in(value):  # it would be stored in plain text: refused, never kept
            return None, _("An ID number is written in the %(column)s column: check the order of the columns.",
                           column=column)
        extra[column] = value or None
    digest = crypto.id_hash(id_number)
    if digest in seen:
        return None, _("The same ID number as row %(row)d.", row=seen[digest])
    seen[digest] = number
    return {"name": name, "id_number": id_number, "id_hash": digest, "phone": phone, **extra}, None


def import_roster(session, actor, tenant, raw, kind, *, job_id=None, progress=None):
    """Import ``raw`` into ``tenant``'s roster; returns the counts and the report file's id."""
    outcomes = []  # (row number, name, masked id, outcome, reason)
    good = []
    seen = {}
    size = {"rows": 1}
    for number, values in roster.read(raw, kind, sized=lambda n: size.update(rows=n)):
        if isinstance(values, str):
            outcomes.append((number, "", "", "rejected", values))
        else:
            row, reason = check_row(values, seen, number)
            if reason:
                # Shown and reported as typed, but an ID number in a wrong column (swapped columns) is masked.
                masked = identity.redact(identity.mask_id(identity.normalise_id(values.get("id_number"))))[:18]
                outcomes.append((number, identity.redact(values.get("name", ""))[:60], masked, "rejected", reason))
            else:
                good.append((number, row))
        if progress and number % 10000 == 0:
            progress(number, size["rows"])
    if not good and not outcomes:
        roster.refuse(_("The file has a header but no rows."))

    existing = {r.id_hash: r for r in session.execute(
        sa.select(RosterEntry.id, RosterEntry.id_hash, RosterEntry.name, RosterEntry.phone, RosterEntry.work_unit,
                  RosterEntry.member_number, RosterEntry.user_id).where(RosterEntry.tenant_id == tenant.id))}
    members = {}
    for m in session.execute(sa.select(Membership.id, Membership.user_id, Membership.status, Membership.kind,
                                       Membership.real_name, Membership.phone, Membership.id_hash,
                                       Membership.verified_at)
                             .where(Membership.tenant_id == tenant.id, Membership.status.in_(("active", "pending")),
                                    Membership.id_hash.is_not(None))):
        members.setdefault(m.id_hash, []).append(m)

    now = utcnow()
    inserts, updates, to_verify, to_activate = [], [], [], []
    counts = {"imported": 0, "updated": 0, "unchanged": 0, "matched": 0}
    for number, row in good:
        # The roster verifies a member who gave this name, ID number and mobile number (anyone may know the
        # first two).
        matching = [m for m in members.get(row["id_hash"], ())
                    if m.real_name == row["name"] and m.phone == row["phone"]]
        user_id = matching[0].user_id if matching else None
        for m in matching:
            if m.verified_at is None:
                to_verify.append(m.id)
            if m.status == "pending" and m.kind == "join":
                to_activate.append(m.id)
        fields = {"name": row["name"], "phone": row["phone"], "work_unit": row["work_unit"],
                  "member_number": row["member_number"]}
        old = existing.get(row["id_hash"])
        masked = identity.mask_id(row["id_number"])
        if old is None:
            inserts.append({"tenant_id": tenant.id, "root_id": tenant.root_id, "id_hash": row["id_hash"],
                            "id_cipher": crypto.encrypt_id(row["id_number"]), "id_masked": masked,
                            "user_id": user_id, "created_at": now, **fields})
            outcome = "imported"
            counts["matched"] += user_id is not None
        else:
            change = {k: v for k, v in fields.items() if getattr(old, k) != v}
            if user_id is not None and old.user_id != user_id:
                change["user_id"] = user_id
                counts["matched"] += 1
            if change:
                updates.append({"id": old.id, "updated_at": now, **change})
                outcome = "updated"
            else:
                outcome = "unchanged"
        counts[outcome] += 1
        outcomes.append((number, row["name"], masked, outcome, ""))

    for start in range(0, len(inserts), BATCH):
        session.execute(sa.insert(RosterEntry), inserts[start:start + BATCH])
    for start in range(0, len(updates), BATCH):
        session.execute(sa.update(RosterEntry), updates[start:start + BATCH])
    if to_verify:
        session.execute(sa.update(Membership).where(Membership.id.in_(to_verify)).values(verified_at=now)
                        .execution_options(synchronize_session=False))
    for membership_id in to_activate:
        try:
            with session.begin_nested():
                session.execute(sa.update(Membership).where(Membership.id == membership_id,
                                                             Membership.status == "pending")
                                .values(status="active", decided_at=now).execution_options(synchronize_session=False))
        except IntegrityError:
            pass  # became a member elsewhere meanwhile: the join stays pending for review

    rejected = sorted((o for o in outcomes if o[3] == "rejected"), key=lambda o: o[0])
    counts_rows = [(_("Rows read"), len(outcomes)), (_("Imported (new on the roster)"), counts["imported"]),
                   (_("Updated"), counts["updated"]), (_("Unchanged"), counts["unchanged"]),
                   (_("Matched to existing accounts"), counts["matched"]), (_("Rejected"), len(rejected))]
    # The rejected rows, each with its reason, then the counts (every row's outcome is one of them).
    book = xlsx.Book(zone=zone_of(tenant))
    sheet = book.sheet(_("Rejected rows"), [_("Row"), _("Name"), _("ID number"), _("Why")])
    for n, name, masked, _o, reason in rejected:
        sheet.append([n, name, masked, reason])
    summary = book.sheet(_("Summary"), [_("Outcome"), _("Rows")])
    for row in counts_rows:
        summary.append(row)
    report_file = services.keep_file(session, kind="report", tenant_id=tenant.id, owner_id=actor.id, job_id=job_id,
                                     filename=f"roster-report-{tenant.slug}.xlsx", content=book.save())
    result = {"rows": len(outcomes), **counts, "rejected": len(rejected), "report": report_file.id,
              "activated": len(to_activate),
              "rejected_rows": [{"row": n, "name": name, "id_number": masked, "reason": reason}
                                for n, name, masked, _o, reason in rejected[:REPORT_SHOWN]]}
    audit(session, action="member.roster_import", actor=actor, tenant=tenant, target=tenant.slug,
          detail={k: result[k] for k in ("rows", "imported", "updated", "unchanged", "matched", "rejected")})
    return result
