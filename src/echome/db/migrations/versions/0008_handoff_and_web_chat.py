"""handoff states and web chat settings

Conversations get a state (persona answering / waiting for the seller / seller answering) with the
reason and time of the last change; personas get a public slug for the hosted chat page and the
widget, and their chat settings (allowed origins, approval mode, handoff rules, the seller's own
Telegram chat for notifications).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 11:40:00.000000
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql
import echome.db.types

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('personas', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slug', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('chat_settings', JSON, nullable=False, server_default='{}'))
        batch_op.create_unique_constraint(batch_op.f('uq_personas_slug'), ['slug'])

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=20), nullable=False, server_default='persona'))
        batch_op.add_column(sa.Column('handoff_reason', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('state_changed_at', echome.db.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_conversations_user_state', ['user_id', 'state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index('ix_conversations_user_state')
        batch_op.drop_column('state_changed_at')
        batch_op.drop_column('handoff_reason')
        batch_op.drop_column('state')

    with op.batch_alter_table('personas', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_personas_slug'), type_='unique')
        batch_op.drop_column('chat_settings')
        batch_op.drop_column('slug')
