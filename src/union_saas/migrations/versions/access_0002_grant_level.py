"""the level a grant was made from (who may revoke it)

Revision ID: access_0002
Revises: accounts_0002
Create Date: 2026-12-01 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'access_0002'
down_revision = 'accounts_0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('access_grant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('granted_at_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_access_grant_granted_at_id_tenant'), 'tenant', ['granted_at_id'],
                                    ['id'])


def downgrade():
    with op.batch_alter_table('access_grant', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_access_grant_granted_at_id_tenant'), type_='foreignkey')
        batch_op.drop_column('granted_at_id')
