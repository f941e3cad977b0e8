"""posts in a group's space: community_post.group_id refers to the group (its posts go with it)

Revision ID: community_0002
Revises: projects_0001
Create Date: 2026-12-01 13:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'community_0002'
down_revision = 'projects_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('community_post', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_community_post_group_id_interest_group'), 'interest_group',
                                    ['group_id'], ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('community_post', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_community_post_group_id_interest_group'), type_='foreignkey')
