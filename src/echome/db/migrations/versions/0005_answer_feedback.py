"""answer feedback

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 09:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import echome.db.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('answer_feedback',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('persona_id', sa.String(length=32), nullable=True),
    sa.Column('message_id', sa.String(length=32), nullable=False),
    sa.Column('rating', sa.String(length=10), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('corrected_answer', sa.Text(), nullable=True),
    sa.Column('created_at', echome.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', echome.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_answer_feedback_message_id_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['persona_id'], ['personas.id'], name=op.f('fk_answer_feedback_persona_id_personas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_answer_feedback_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_feedback')),
    sa.UniqueConstraint('message_id', name=op.f('uq_answer_feedback_message_id'))
    )
    with op.batch_alter_table('answer_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_feedback_persona_id'), ['persona_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_answer_feedback_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('answer_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_feedback_user_id'))
        batch_op.drop_index(batch_op.f('ix_answer_feedback_persona_id'))

    op.drop_table('answer_feedback')
