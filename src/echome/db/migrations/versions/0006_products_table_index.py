"""products table indexes: a persona's products by name and by catalog (the Catalog pages, 10k products)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:00:00.000000
"""

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_products_owner_persona_name', 'products', ['user_id', 'persona_id', 'name'], unique=False)
    op.create_index('ix_products_owner_persona_source', 'products', ['user_id', 'persona_id', 'source'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_products_owner_persona_source', table_name='products')
    op.drop_index('ix_products_owner_persona_name', table_name='products')
