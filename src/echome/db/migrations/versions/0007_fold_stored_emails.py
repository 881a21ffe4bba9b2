"""stored sign-in addresses in the folded form sign-in now looks up (NFKC + casefold)

Addresses were stored lowered; sign-in, sign-up and the sign-in limiter now fold them (NFKC,
casefold, NFKC): an account stored as "straße@example.de" would no longer be found from
"Straße@example.de" (folded "strasse@example.de"). Each stored address is folded here, unless
another account already holds the folded form: both are then left as they are, to be merged by
hand (the upgrade never merges or drops an account).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 09:00:00.000000
"""

import logging
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def _fold(text: str) -> str:
    # The same as echome.accounts.users.fold_identity at this revision (kept here: a migration
    # must not change when the application code does).
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold()).strip()


def upgrade() -> None:
    users = sa.table("users", sa.column("id", sa.String), sa.column("email", sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(users.c.id, users.c.email)).all()
    held: dict[str, int] = {}
    for _, email in rows:
        held[_fold(email)] = held.get(_fold(email), 0) + 1
    for user_id, email in rows:
        folded = _fold(email)
        if folded == email:
            continue
        if held[folded] > 1:
            log.warning("account %s: its address folds to one another account holds; left as it is", user_id)
            continue
        conn.execute(users.update().where(users.c.id == user_id).values(email=folded))


def downgrade() -> None:
    pass  # the folded form is a valid address; nothing to undo
