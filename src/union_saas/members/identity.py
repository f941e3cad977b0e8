"""Resident ID numbers (GB 11643-1999) and mainland mobile numbers: normalise, validate, mask."""
import re
from datetime import date

from flask_babel import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
ID_RE = re.compile(r"^\d{17}[\dX]$")
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
# First digits of the province codes (1x North, 2x North-East, ... 8x Hong Kong, Macao, Taiwan).
REGIONS = set("12345678")


def normalise_id(value) -> str:
    return re.sub(r"\s", "", str(value or "")).upper()


def check_digit(first17: str) -> str:
    return CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def id_problem(value: str, today: date | None = None) -> str | None:
    """Why ``value`` (normalised) is not a valid 18-digit resident ID number, or None.

    The message never repeats the number itself.
    """
    if not ID_RE.match(value):
        return _("An ID number has 18 characters: 17 digits, then a digit or X.")
    if value[0] not in REGIONS:
        return _("The first six digits must be a region code; no region code starts with %(d)s.", d=value[0])
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return _("Digits 7 to 14 must be a real date of birth (YYYYMMDD); this date does not exist.")
    today = today or date.today()
    if born.year < 1900 or born > today:
        return _("Digits 7 to 14 must be a date of birth between 1900 and today.")
    if check_digit(value[:17]) != value[17]:
        return _("The last character is a check digit computed from the first 17 digits, and it does not "
                 "match them: one of the characters was probably mistyped.")
    return None


def normalise_phone(value) -> str:
    phone = re.sub(r"[\s-]", "", str(value or ""))
    phone = phone.removeprefix("+86")
    return phone


def phone_problem(value: str) -> str | None:
    if not PHONE_RE.match(value):
        return _("A mainland mobile number has 11 digits and starts with 13 to 19.")
    return None


# An ID number written anywhere it does not belong (a name, a work unit): 18 characters standing apart.
_ID_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


def ids_in(text) -> list[str]:
    """The valid ID numbers found in ``text`` (a cell, a name)."""
    return [run for run in _ID_RUN.findall(str(text or "")) if id_problem(run.upper()) is None]


def redact(text) -> str:
    """``text`` with every valid ID number in it masked: what may be stored or shown of a stray cell."""
    text = str(text or "")
    for run in ids_in(text):
        text = text.replace(run, mask_id(run.upper()))
    return text


def mask_id(value: str) -> str:
    """First 3 and last 4 characters; the rest hidden."""
    if not value:
        return ""
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def name_problem(value: str) -> str | None:
    if not 2 <= len(value) <= 60:
        return _("Write the name as on the ID card (2 to 60 characters).")
    if value[0] in "=+-@" or any(ord(ch) < 32 for ch in value):
        return _("The name contains characters a name cannot have.")
    if ids_in(value):
        return _("An ID number is written where the name belongs: check the order of the columns.")
    return None


def make_id(first17: str) -> str:
    """A valid ID number from its first 17 digits (for tests, demos and benchmarks)."""
    return first17 + check_digit(first17)
