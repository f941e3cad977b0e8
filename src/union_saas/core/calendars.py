"""Calendars (RFC 5545), written by the ``icalendar`` library: a document of events, and its response.

Text reaches the library as plain lines: any line break (CRLF, LF, or a lone CR, which some calendar
apps also end a line at) becomes an escaped newline, and other control characters are dropped, so no
text can start a property of its own.
"""
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Response
from icalendar import Calendar, Event, vCalAddress, vText

from union_saas.core.db import utcnow

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain(value) -> str:
    """Text with ``\\n`` as its only line break and no other control character."""
    return CONTROL.sub("", str(value or "").replace("\r\n", "\n").replace("\r", "\n"))


@dataclass(frozen=True)
class Entry:
    """One event of a calendar."""

    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str = ""
    location: str | None = None
    url: str | None = None
    organizer: str | None = None  # a name
    organizer_email: str | None = None
    cancelled: bool = False


def document(name, entries, *, product="-//union-saas//activities//EN", now=None) -> bytes:
    """An iCalendar document ``name`` with one VEVENT per entry."""
    calendar = Calendar()
    calendar.add("prodid", product)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", vText(plain(name)))  # an X- property is no TEXT to the library: say it is
    stamp = (now or utcnow()).astimezone(UTC)
    for entry in entries:
        event = Event()
        event.add("uid", plain(entry.uid))
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.starts_at.astimezone(UTC))
        event.add("dtend", entry.ends_at.astimezone(UTC))
        event.add("summary", plain(entry.summary))
        event.add("description", plain(entry.description))
        if entry.url:
            event.add("url", plain(entry.url))
        if entry.organizer_email:
            organizer = vCalAddress("mailto:" + plain(entry.organizer_email))
            if entry.organizer:
                organizer.params["cn"] = plain(entry.organizer)
            event.add("organizer", organizer)
        if entry.location:
            event.add("location", plain(entry.location))
        event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()


def response(data: bytes, filename: str):
    """An .ics download (``filename`` is ours: ASCII, no quotes)."""
    result = Response(data, mimetype="text/calendar")
    result.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return result
