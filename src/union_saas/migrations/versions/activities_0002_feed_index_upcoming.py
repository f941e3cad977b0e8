"""the member feed's index ends with ends_at: upcoming activities are one range per visibility arm

Revision ID: activities_0002
Revises: insights_0002
Create Date: 2026-11-26 09:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'activities_0002'
down_revision = 'insights_0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index('ix_activity_upcoming', ['root_id', 'status', 'scope', 'tenant_id', 'ends_at'],
                              unique=False)
        batch_op.drop_index('ix_activity_feed')


def downgrade():
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index('ix_activity_feed', ['root_id', 'status', 'scope', 'tenant_id', 'starts_at'],
                              unique=False)
        batch_op.drop_index('ix_activity_upcoming')
