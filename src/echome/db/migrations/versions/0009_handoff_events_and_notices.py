"""handoff events and seller notices

The seller's desk gets an ordered event log (the dashboard's live feed reads what came after the
last event it saw) and the messages the persona's bot sent to the seller's own Telegram chat, so a
reply to one of them, or a button under it, finds its conversation.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 09:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql
import echome.db.types

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('handoff_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('persona_id', sa.String(length=32), nullable=True),
    sa.Column('conversation_id', sa.String(length=32), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('data', JSON, nullable=False),
    sa.Column('created_at', echome.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_handoff_events_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['persona_id'], ['personas.id'], name=op.f('fk_handoff_events_persona_id_personas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_handoff_events_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoff_events'))
    )
    with op.batch_alter_table('handoff_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_events_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_events_user_id'), ['user_id'], unique=False)

    op.create_table('handoff_notices',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('persona_id', sa.String(length=32), nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('draft_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', echome.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_handoff_notices_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['persona_id'], ['personas.id'], name=op.f('fk_handoff_notices_persona_id_personas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_handoff_notices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoff_notices')),
    sa.UniqueConstraint('persona_id', 'chat_id', 'message_id', name=op.f('uq_handoff_notices_persona_id'))
    )
    with op.batch_alter_table('handoff_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_notices_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_notices_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('handoff_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoff_notices_user_id'))
        batch_op.drop_index(batch_op.f('ix_handoff_notices_conversation_id'))
    op.drop_table('handoff_notices')

    with op.batch_alter_table('handoff_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoff_events_user_id'))
        batch_op.drop_index(batch_op.f('ix_handoff_events_conversation_id'))
    op.drop_table('handoff_events')
