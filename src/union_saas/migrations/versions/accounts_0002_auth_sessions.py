"""revocable sign-in sessions and API tokens

Revision ID: accounts_0002
Revises: activities_0003
Create Date: 2026-12-01 08:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import union_saas.core.db

# revision identifiers, used by Alembic.
revision = 'accounts_0002'
down_revision = 'activities_0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('auth_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', union_saas.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', union_saas.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', union_saas.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_auth_session_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_session'))
    )
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.create_index('ix_auth_session_user_live', ['user_id', 'revoked_at'], unique=False)


def downgrade():
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.drop_index('ix_auth_session_user_live')
    op.drop_table('auth_session')
