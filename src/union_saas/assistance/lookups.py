"""What pages and API both need around a case: its full view for one caller, and the requester's export."""
import io

from flask import send_file
from flask_babel import gettext as _
from flask_login import current_user

from union_saas.assistance import schemas, services
from union_saas.assistance.models import CATEGORY_LABELS, STATUS_LABELS
from union_saas.core import xlsx
from union_saas.core.db import utcnow
from union_saas.core.i18n import zone_of
from union_saas.extensions import db


def full(case, *, as_requester=False):
    """``(doc, rights, messages, attachments, events)`` of a case for the caller; ``as_requester``: what its
    requester's own pages show (public messages only, whatever roles they also hold)."""
    who = services.rights(current_user, case)
    if as_requester:
        who = services.Rights(requester=True)
    messages = services.messages_of(db.session, case, internal=who.handler and not who.requester)
    attachments = services.attachments_of(db.session, case)
    events = services.events_of(db.session, [case.id])[case.id]
    doc = schemas.case_doc(case, who, events=events, messages=messages, attachments=attachments)
    return doc, who


def export(case):
    """The requester's own copy of their case (.xlsx): its facts and the public messages, never an internal
    note; a hardship case's description stays out of every export."""
    doc, _who = full(case, as_requester=True)
    book = xlsx.Book(zone=zone_of(case.tenant))
    facts = book.sheet(_("Help request"), [_("Field"), _("Value")])
    for label, value in ((_("Title"), doc["title"]), (_("Category"), CATEGORY_LABELS[case.category]),
                         (_("Status"), STATUS_LABELS[case.status]), (_("Union"), doc["tenant_name"]),
                         (_("Filed"), case.created_at), (_("First response due"), case.first_response_due),
                         (_("Resolution due"), case.resolution_due)):
        facts.append([label, value])
    if case.category != "hardship":
        facts.append([_("Situation"), case.description])
    messages = book.sheet(_("Messages"), [_("When"), _("From"), _("Message")])
    for m in doc["messages"]:
        messages.append([m["created_at"], m["author"], m["body"]])
    return send_file(io.BytesIO(book.save()), mimetype=xlsx.MIMETYPE, as_attachment=True,
                     download_name=f"help-request-{case.id}.xlsx")


def now():
    return utcnow()
