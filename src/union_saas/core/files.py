"""The file store: what people upload and what jobs produce, one ``stored_file`` row each, in the database.

The database, not a disk: the app keeps no state in its process, and any web machine or worker must read
what another one stored (DESIGN.md), inside the same transaction as the record that points at it.

- ``check(upload, kinds, max_bytes=...)``: an upload, checked before anything is written: its size, and its
  type proved by its content (magic bytes, or a zip's parts, or text), never by its name or the browser's
  word; a name that claims another type than the content's is refused. The caller names the kinds it takes.
- ``save`` / ``save_upload``: a new row; the download name keeps the person's name without path parts or
  control characters (``clean_name``); nothing is ever stored under a name a person chose.
  ``cipher=`` encrypts at rest with a cipher a domain registered (``register_cipher``: members' PII key).
- ``read`` (the bytes, decrypted), ``send`` (a response: safe ``Content-Disposition`` for any name,
  ``nosniff``, and a CSP of ``default-src 'none'``: a user's file never runs in the site's origin).
- A model points at its file with ``file_column()``; ``sweep`` deletes the files nothing points at.
"""
import io
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import send_file
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column, undefer

from union_saas.core.db import Base, created_at_column, utcnow
from union_saas.core.errors import NotFound, ValidationFailed

SNIFF = 4096  # bytes of the start of a file read to tell its type
NAME_LENGTH = 200


class StoredFile(Base):
    """One stored file: its download name, type, size and bytes (encrypted when ``cipher`` names how)."""

    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(sa.String(NAME_LENGTH + 10))
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int]
    cipher: Mapped[str | None] = mapped_column(sa.String(16))
    # None: a file that was already missing from its disk when the disk stores moved here (core_0006)
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    created_at: Mapped[datetime] = created_at_column()


def file_column(*, nullable=False, ondelete="CASCADE"):
    """The column of a model that points at its file (``CASCADE``: the record goes with its file)."""
    return mapped_column(sa.ForeignKey("stored_file.id", ondelete=ondelete), nullable=nullable, index=True)


# --- kinds of file ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Kind:
    """A type of file the store can prove from its content."""

    name: str
    content_type: str
    extensions: tuple
    proves: Callable  # bytes -> bool
    named_only: bool = False  # no signature (text): taken only when the file's name says so

    @property
    def label(self):
        return "." + self.extensions[0]


def _starts(*magic):
    return lambda data: data.startswith(magic)


def _webp(data):
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def _ooxml(folder):
    """An Office Open XML document: a zip with its content types and the parts of ``folder``."""
    def proves(data):
        if not data.startswith(b"PK\x03\x04"):
            return False
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
            return False
        return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)

    return proves


def _decodes(line, cut):
    for encoding in ("utf-8", "gb18030"):
        try:
            line.decode(encoding)
            return True
        except UnicodeDecodeError as error:
            if cut and error.start >= len(line) - 4:  # a character cut at the end of the sample
                return True
    return False


def _text(data):
    """Text: no NUL, and every line of the start UTF-8 or GBK (GB 18030), as Chinese offices write it."""
    head = data[:SNIFF]
    if b"\0" in head:
        return False
    lines = head.split(b"\n")
    cut = len(data) > SNIFF
    return all(_decodes(line, cut and i == len(lines) - 1) for i, line in enumerate(lines))


PDF = Kind("pdf", "application/pdf", ("pdf",), _starts(b"%PDF-"))
PNG = Kind("png", "image/png", ("png",), _starts(b"\x89PNG\r\n\x1a\n"))
JPEG = Kind("jpeg", "image/jpeg", ("jpg", "jpeg"), _starts(b"\xff\xd8\xff"))
WEBP = Kind("webp", "image/webp", ("webp",), _webp)
DOCX = Kind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",),
            _ooxml("word/"))
XLSX = Kind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",), _ooxml("xl/"))
PPTX = Kind("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", ("pptx",),
            _ooxml("ppt/"))
TXT = Kind("txt", "text/plain", ("txt",), _text, named_only=True)
CSV = Kind("csv", "text/csv", ("csv",), _text, named_only=True)
KINDS = {k.name: k for k in (PDF, PNG, JPEG, WEBP, DOCX, XLSX, PPTX, TXT, CSV)}
BY_EXTENSION = {ext: k for k in KINDS.values() for ext in k.extensions}


@dataclass(frozen=True)
class Upload:
    """A checked upload, not stored yet."""

    filename: str
    kind: Kind
    data: bytes

    @property
    def size(self):
        return len(self.data)


def human_size(n):
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def check(upload, kinds, *, max_bytes, field="file", refused=None) -> Upload:
    """Read ``upload`` (a ``FileStorage``) and prove its type is one of ``kinds``; 422 on ``field`` if not.

    ``refused``: what to tell someone who sent another kind (default: the list of the kinds taken).
    """
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        message = _("The file is larger than %(size)s.", size=human_size(max_bytes))
        raise ValidationFailed(message, errors={field: [message]})
    return identify(upload.filename, data, kinds, field=field, refused=refused)


def identify(filename, data, kinds, *, field="file", refused=None) -> Upload:
    """The kind of ``data`` among ``kinds``, proved by its content. A name's extension must name one of
    ``kinds`` and agree with the content; a name without one leaves it to the content (text excepted:
    it has no signature)."""
    if not data:
        raise ValidationFailed(_("The file is empty."), errors={field: [_("The file is empty.")]})
    name = clean_name(filename)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext:
        kind = BY_EXTENSION.get(ext)
        if kind not in kinds:
            _refuse(kinds, field, refused)
        if not kind.proves(data):
            message = _("This is not a valid %(type)s file.", type="." + ext)
            raise ValidationFailed(message, errors={field: [message]})
        return Upload(name, kind, data)
    kind = next((k for k in kinds if not k.named_only and k.proves(data)), None)
    if kind is None:
        _refuse(kinds, field, refused)
    return Upload(f"{name}.{kind.extensions[0]}", kind, data)


def _refuse(kinds, field, refused):
    types = ", ".join(sorted(ext for k in kinds for ext in k.extensions))
    raise ValidationFailed(_("This kind of file is not accepted."),
                           errors={field: [refused or _("Allowed: %(types)s.", types=types)]})


def clean_name(name, default="file") -> str:
    """A person's file name, fit for a download: its last path part, no control or format characters
    (line breaks, bidi overrides), spaces collapsed, at most 200 characters with its extension kept."""
    name = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if ch.isspace() else ch for ch in name
                   if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    name = " ".join(name.split()).strip(" .")
    if len(name) > NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        name = stem[:NAME_LENGTH - len(ext) - 1] + dot + ext if dot and len(ext) <= 10 else name[:NAME_LENGTH]
    return name or default


# --- encryption at rest -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Cipher:
    name: str
    encrypt: Callable  # bytes -> bytes
    decrypt: Callable


CIPHERS: dict[str, Cipher] = {}


def register_cipher(name, encrypt, decrypt) -> str:
    """Let files be stored encrypted under ``name`` (the row keeps the name to read them back)."""
    if len(name) > 16:
        raise ValueError("a cipher's name has 16 characters at most")
    CIPHERS[name] = Cipher(name, encrypt, decrypt)
    return name


# --- store, read, serve -----------------------------------------------------------------------------

def save(session, data: bytes, *, filename, content_type, cipher=None) -> StoredFile:
    """Store ``data`` (encrypted when ``cipher`` names a registered cipher); flushes."""
    content = CIPHERS[cipher].encrypt(data) if cipher else data
    row = StoredFile(filename=clean_name(filename), content_type=content_type, size=len(data), cipher=cipher,
                     content=content)
    session.add(row)
    session.flush()
    return row


def save_upload(session, upload: Upload, *, cipher=None) -> StoredFile:
    return save(session, upload.data, filename=upload.filename, content_type=upload.kind.content_type,
                cipher=cipher)


def get(session, file_id) -> StoredFile | None:
    """A stored file with its bytes (one query), or None."""
    if file_id is None:
        return None
    return session.scalar(sa.select(StoredFile).options(undefer(StoredFile.content)).where(StoredFile.id == file_id))


def read(row: StoredFile) -> bytes:
    """The file's bytes, decrypted; 404 for a file that was lost before it reached the store."""
    if row.content is None:
        raise NotFound(_("No such file."))
    return CIPHERS[row.cipher].decrypt(row.content) if row.cipher else row.content


def delete(session, *file_ids):
    """Delete these files (and, through their foreign keys, the records that are nothing without them)."""
    ids = [i for i in file_ids if i is not None]
    if ids:
        session.execute(sa.delete(StoredFile).where(StoredFile.id.in_(ids)).execution_options(
            synchronize_session=False))


def send(row: StoredFile, *, inline=False, max_age=0):
    """A response with the file: a download (or ``inline``, for images shown in a page)."""
    response = send_file(io.BytesIO(read(row)), mimetype=row.content_type, as_attachment=not inline,
                         download_name=clean_name(row.filename), max_age=max_age)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # A file runs nothing and loads nothing, whoever wrote it (``keep_file_policy`` keeps this over the site's).
    response.file_policy = "default-src 'none'; sandbox"
    response.headers["Content-Security-Policy"] = response.file_policy
    return response


def keep_file_policy(response):
    """After the site's security headers: a file keeps its own Content-Security-Policy (registered before
    Flask-Talisman, so that it runs after it)."""
    policy = getattr(response, "file_policy", None)
    if policy:
        response.headers["Content-Security-Policy"] = policy
    return response


def references():
    """Every column of every model that points at a stored file."""
    return [fk.parent for table in Base.metadata.tables.values() for fk in table.foreign_keys
            if fk.column.table.name == StoredFile.__tablename__]


def sweep(session, *, older_than=timedelta(hours=1)) -> int:
    """Delete the files no record points at any more (made over ``older_than`` ago); returns how many."""
    unreferenced = [~sa.exists().where(column == StoredFile.id) for column in references()]
    result = session.execute(sa.delete(StoredFile).where(StoredFile.created_at < utcnow() - older_than,
                                                         *unreferenced).execution_options(synchronize_session=False))
    return result.rowcount
