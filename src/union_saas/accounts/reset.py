"""What the pages and the API share of a forgotten password: sending the code (the services make it)."""
import logging

from flask import current_app
from flask_babel import gettext as _

from union_saas.accounts import services
from union_saas.core import outbox
from union_saas.core.web import signing_key
from union_saas.extensions import db

log = logging.getLogger(__name__)


def send_code(username):
    """Make a code for the account ``username`` and send it; nothing is said of an unknown account, and a
    channel that fails is logged, not told (either would tell who has an account)."""
    user, code = services.start_reset(db.session, signing_key(), username)
    if user is None:
        return
    text = _("Your code to set a new password is %(code)s. It works once, within %(n)d minutes. If you did not "
             "ask for it, ignore this message.", code=code, n=services.RESET_CODE_MINUTES)
    try:
        outbox.send(outbox.Recipient(user.display_name, phone=user.phone, email=user.email),
                    _("union-saas password"), text)
    except outbox.CannotSend:
        log.warning("no code could be sent to user %s by %s", user.id, current_app.config.get("MESSAGE_CHANNEL"))
