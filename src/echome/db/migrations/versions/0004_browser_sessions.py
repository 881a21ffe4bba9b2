"""browser sessions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 08:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import echome.db.types

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('browser_sessions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', echome.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', echome.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', echome.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', echome.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('user_agent', sa.String(length=300), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_browser_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_browser_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_browser_sessions_token_hash'))
    )
    with op.batch_alter_table('browser_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_browser_sessions_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('browser_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_browser_sessions_user_id'))

    op.drop_table('browser_sessions')
