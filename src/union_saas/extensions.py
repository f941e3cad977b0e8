"""Extensions, created unbound; ``create_app`` binds them."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_principal import Principal
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect

from union_saas.core.i18n import translate_schema_messages

translate_schema_messages()  # before any schema is defined: marshmallow's messages in the reader's language

from union_saas.core.api import Api  # after the messages are made translatable
from union_saas.core.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
principal = Principal(use_sessions=False, skip_static=True)
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
api = Api()
talisman = Talisman()
