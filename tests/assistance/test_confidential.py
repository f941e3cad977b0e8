"""Internal notes never reach the requester, through any channel: page, API, inbox, export."""
import io

import openpyxl
import sqlalchemy as sa

from tests.assistance import helpers
from union_saas.assistance import services
from union_saas.core.inbox import Notification

NOTE = "Internal: the employer is our donor"


def setup_case(db_session, people, **fields):
    case = helpers.file(db_session, people["worker"], **fields)
    services.add_message(db_session, people["c1"], case, NOTE, internal=True)
    services.add_message(db_session, people["c1"], case, "Public answer")
    db_session.commit()
    return case


def test_not_on_the_requesters_page(district, login, db_session):
    tenants, people = district
    case = setup_case(db_session, people)
    html = login(people["worker"]).get(f"/me/help-requests/{case.id}").get_data(as_text=True)
    assert "Public answer" in html and NOTE not in html
    assert NOTE in login(people["c1"]).get(f"/manage/c1/help-requests/{case.id}").get_data(as_text=True)


def test_not_in_the_requesters_api(district, api, db_session):
    tenants, people = district
    case = setup_case(db_session, people)
    worker = api(people["worker"])
    assert NOTE not in worker.get(f"/api/v1/me/help-requests/{case.id}").get_data(as_text=True)
    assert NOTE not in worker.get("/api/v1/me/help-requests").get_data(as_text=True)
    assert worker.get(f"/api/v1/help-requests/{case.id}").status_code == 404, "the handlers' view is not theirs"
    assert NOTE in api(people["c1"]).get(f"/api/v1/help-requests/{case.id}").get_data(as_text=True)


def test_not_in_the_requesters_inbox(district, api, db_session):
    tenants, people = district
    setup_case(db_session, people)
    notes = db_session.scalars(sa.select(Notification).where(Notification.user_id == people["worker"].id)).all()
    assert notes and all(NOTE not in (n.body + str(n.params)) for n in notes)
    assert NOTE not in api(people["worker"]).get("/api/v1/me/notifications").get_data(as_text=True)


def test_not_in_the_requesters_export(district, api, login, db_session):
    tenants, people = district
    case = setup_case(db_session, people, category="hardship", description="Income 900, three children")
    for response in (api(people["worker"]).get(f"/api/v1/me/help-requests/{case.id}/export"),
                     login(people["worker"]).get(f"/me/help-requests/{case.id}/export")):
        assert response.status_code == 200
        book = openpyxl.load_workbook(io.BytesIO(response.data))
        cells = " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row)
        assert "Public answer" in cells and NOTE not in cells
        assert "Income 900" not in cells, "hardship details stay out of exports"


def test_a_handler_who_is_the_requester_sees_no_notes_on_their_own_case(district, api, make_member, db_session):
    tenants, people = district
    make_member(people["c1-officer"], tenants["c1"])
    case = helpers.file(db_session, people["c1-officer"])
    services.add_message(db_session, people["c1"], case, NOTE, internal=True)
    db_session.commit()
    assert NOTE not in api(people["c1-officer"]).get(f"/api/v1/me/help-requests/{case.id}").get_data(as_text=True)


def test_names_are_masked_above_the_levels_a_hardship_case_reached(district, login, db_session):
    tenants, people = district
    setup_case(db_session, people, category="hardship", description="Income 900")
    html = login(people["a"]).get("/manage/a/help-requests").get_data(as_text=True)
    assert "Wang Fang" not in html and "W***" in html
    assert "Wang Fang" in login(people["c1"]).get("/manage/c1/help-requests").get_data(as_text=True)
