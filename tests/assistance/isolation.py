"""Every help request route in the isolation matrix: a case filed by ``member_own`` at a-s1.

Its handlers are whoever holds ``assistance.handle`` at a-s1 or above (its officer, its admin, the federation's
admin); its requester alone reaches the member routes; a union beside it, below it, or in another federation
gets 404, and so does every other member.
"""
import io

from tests.assistance import helpers
from tests.isolation.world import Case, everyone, managed, members
from union_saas.assistance.models import HelpAttachment
from union_saas.core import files


def _case(world, session, member="member_own", **fields):
    case = helpers.file(session, world.users[member], **fields)
    return case


def own_case(world, session):
    return {"case": _case(world, session).id}


def sibling_case(world, session):
    return {"case": _case(world, session, "member_sibling").id}


def child_case(world, session):
    return {"case": _case(world, session, "member_child").id}


def resolved_case(world, session):
    case = _case(world, session)
    helpers.resolve(session, case, world.users["own_admin"])
    return {"case": case.id}


def an_attachment(world, session):
    case = _case(world, session)
    stored = files.save(session, helpers.PNG, filename="contract.png", content_type="image/png")
    row = HelpAttachment(case_id=case.id, file_id=stored.id, uploaded_by_id=world.users["member_own"].id)
    session.add(row)
    session.flush()
    return {"attachment": row.id}


def png():
    return {"file": (io.BytesIO(helpers.PNG), "evidence.png")}


def page_png():
    return {"file": (io.BytesIO(helpers.PNG), "evidence.png")}


HANDLERS = managed(200)  # the officer of a-s1 handles help requests too
REQUESTER = members(404, member_own=200)
FILE_BODY = {"category": "legal", "title": "Unpaid wages", "description": "Two months", "urgency": "normal"}
SETTINGS = {"categories": {"legal": {"first_response_hours": 12, "resolution_days": 10}}}
SETTINGS_FORM = {f"{c}_{k}": v for c in ("legal", "hardship", "workplace", "other")
                 for k, v in (("first_response_hours", "12"), ("resolution_days", "7"))}
ROOT_ONLY = {**everyone(404), "parent_admin": 200}
NOT_ROOT = everyone(404)

CASES = [
    # --- the requester -----------------------------------------------------------------------------
    Case("assistance_api.file_request", "POST", "/api/v1/me/help-requests", everyone(403), body=FILE_BODY,
         members=members(201)),
    Case("assistance_api.my_requests", "GET", "/api/v1/me/help-requests", everyone(200)),
    Case("assistance_api.my_request", "GET", "/api/v1/me/help-requests/{case}", everyone(404), setup=own_case,
         members=REQUESTER),
    Case("assistance_api.my_request", "GET", "/api/v1/me/help-requests/{case}", everyone(404), setup=child_case,
         members=members(404, member_child=200), id="another member's"),
    Case("assistance_api.export_mine", "GET", "/api/v1/me/help-requests/{case}/export", everyone(404),
         setup=own_case, members=REQUESTER),
    Case("assistance_api.rate", "POST", "/api/v1/help-requests/{case}/rate", everyone(404), setup=resolved_case,
         body={"score": 4}, members=REQUESTER),
    Case("assistance_api.reopen", "POST", "/api/v1/help-requests/{case}/reopen", everyone(404),
         setup=resolved_case, body={"reason": "Still unpaid"}, members=REQUESTER),
    # --- requester and handlers ------------------------------------------------------------------------
    Case("assistance_api.add_message", "POST", "/api/v1/help-requests/{case}/messages", managed(201),
         setup=own_case, body={"body": "Any news?"}, members=members(404, member_own=201)),
    Case("assistance_api.add_message", "POST", "/api/v1/help-requests/{case}/messages",
         {**managed(404), "parent_admin": 201, "sibling_admin": 201}, setup=sibling_case, body={"body": "Any news?"},
         members=members(404, member_sibling=201), id="sibling's case"),
    Case("assistance_api.attach", "POST", "/api/v1/help-requests/{case}/attachments", managed(201),
         setup=own_case, files=png, members=members(404, member_own=201)),
    Case("assistance_api.download", "GET", "/api/v1/help-attachments/{attachment}", HANDLERS,
         setup=an_attachment, members=REQUESTER),
    # --- handlers --------------------------------------------------------------------------------------
    Case("assistance_api.queue", "GET", "/api/v1/tenants/{own}/help-requests?status=open&breached=1", HANDLERS),
    Case("assistance_api.queue_counts", "GET", "/api/v1/tenants/{own}/help-requests/counts", HANDLERS),
    Case("assistance_api.get_request", "GET", "/api/v1/help-requests/{case}", HANDLERS, setup=own_case),
    Case("assistance_api.get_request", "GET", "/api/v1/help-requests/{case}", {**managed(404), "parent_admin": 200,
                                                                   "sibling_admin": 200}, setup=sibling_case, id="sibling's case"),
    Case("assistance_api.assign", "POST", "/api/v1/help-requests/{case}/assign", HANDLERS, setup=own_case,
         body={"username": "own-officer"}),
    Case("assistance_api.set_status", "POST", "/api/v1/help-requests/{case}/status", HANDLERS, setup=own_case,
         body={"status": "in_progress"}),
    Case("assistance_api.escalate", "POST", "/api/v1/help-requests/{case}/escalate", HANDLERS, setup=own_case,
         body={"reason": "Needs the street's lawyer"}),
    Case("assistance_api.get_settings", "GET", "/api/v1/tenants/{parent}/help-settings", ROOT_ONLY),
    Case("assistance_api.get_settings", "GET", "/api/v1/tenants/{own}/help-settings", NOT_ROOT, id="not a root"),
    Case("assistance_api.put_settings", "PUT", "/api/v1/tenants/{parent}/help-settings", ROOT_ONLY, body=SETTINGS),
    Case("assistance_api.put_settings", "PUT", "/api/v1/tenants/{own}/help-settings", NOT_ROOT, body=SETTINGS,
         id="not a root"),
    # --- pages: the member -------------------------------------------------------------------------------
    Case("assistance.mine", "GET", "/me/help-requests", everyone(200), page=True),
    Case("assistance.new", "GET", "/me/help-requests/new", everyone(200), page=True),
    Case("assistance.file_request", "POST", "/me/help-requests/new", everyone(403), page=True, body=FILE_BODY,
         members=members(302)),
    Case("assistance.my_request", "GET", "/me/help-requests/{case}", everyone(404), page=True, setup=own_case,
         members=REQUESTER),
    Case("assistance.my_request", "GET", "/me/help-requests/{case}", everyone(404), page=True, setup=child_case,
         members=members(404, member_child=200), id="another member's"),
    Case("assistance.my_message", "POST", "/me/help-requests/{case}/messages", everyone(404), page=True,
         setup=own_case, body={"body": "Any news?"}, members=members(404, member_own=302)),
    Case("assistance.my_attach", "POST", "/me/help-requests/{case}/attachments", everyone(404), page=True,
         setup=own_case, files=page_png, members=members(404, member_own=302)),
    Case("assistance.rate", "POST", "/me/help-requests/{case}/rate", everyone(404), page=True, setup=resolved_case,
         body={"score": "5"}, members=members(404, member_own=302)),
    Case("assistance.reopen", "POST", "/me/help-requests/{case}/reopen", everyone(404), page=True,
         setup=resolved_case, body={"reason": "Still unpaid"}, members=members(404, member_own=302)),
    Case("assistance.export_mine", "GET", "/me/help-requests/{case}/export", everyone(404), page=True,
         setup=own_case, members=REQUESTER),
    Case("assistance.download", "GET", "/help-attachments/{attachment}", HANDLERS, page=True, setup=an_attachment,
         members=REQUESTER),
    # --- pages: the handlers ------------------------------------------------------------------------------
    Case("assistance.queue", "GET", "/manage/{own}/help-requests", HANDLERS, page=True),
    Case("assistance.case", "GET", "/manage/{own}/help-requests/{case}", HANDLERS, page=True, setup=own_case),
    Case("assistance.case", "GET", "/manage/{own}/help-requests/{case}", managed(404), page=True,
         setup=sibling_case, id="sibling's case"),
    Case("assistance.message", "POST", "/manage/{own}/help-requests/{case}/messages", managed(302), page=True,
         setup=own_case, body={"body": "We are on it", "internal": "1"}),
    Case("assistance.attach", "POST", "/manage/{own}/help-requests/{case}/attachments", managed(302), page=True,
         setup=own_case, files=page_png),
    Case("assistance.assign", "POST", "/manage/{own}/help-requests/{case}/assign", managed(302), page=True,
         setup=own_case, body={"username": "own-officer"}),
    Case("assistance.set_status", "POST", "/manage/{own}/help-requests/{case}/status", managed(302), page=True,
         setup=own_case, body={"status": "waiting_member"}),
    Case("assistance.escalate", "POST", "/manage/{own}/help-requests/{case}/escalate", managed(302), page=True,
         setup=own_case, body={"reason": "Needs the street's lawyer"}),
    Case("assistance.settings", "GET", "/manage/{parent}/help-settings", ROOT_ONLY, page=True),
    Case("assistance.settings", "GET", "/manage/{own}/help-settings", NOT_ROOT, page=True, id="not a root"),
    Case("assistance.save_settings", "POST", "/manage/{parent}/help-settings", {**ROOT_ONLY, "parent_admin": 302},
         page=True, body=SETTINGS_FORM),
]
