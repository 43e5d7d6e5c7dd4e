"""verdicts: the composite rule's missing-data rule, minimum n and survey method; the 红黑榜's black-list share;
a quiz's headline 知晓率

Revision ID: s10verdicts_rules
Revises: s10calendar_workcalendar
Create Date: 2026-12-01 22:30:00

"""
import sqlalchemy as sa
from alembic import op

import portal.clock

# revision identifiers, used by Alembic.
revision = 's10verdicts_rules'
down_revision = 's10calendar_workcalendar'
branch_labels = None
depends_on = None


def upgrade():
    # Existing rule versions keep what they did (missing parts left out, a verdict from n = 1, the sampled figure
    # first); only new versions get the new defaults, which the model sets.
    with op.batch_alter_table('score_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('missing_data', sa.String(length=20), nullable=False,
                                      server_default='left_out'))
        batch_op.add_column(sa.Column('verdict_min_n', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('survey_source', sa.String(length=20), nullable=False,
                                      server_default='sampled'))
    with op.batch_alter_table('list_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('black_max_percent', sa.Float(), nullable=False, server_default='100'))
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('awareness_headline', sa.String(length=20), nullable=False,
                                      server_default='passed'))
    _append_versions()


NOTE = "Missing data no longer rewarded; verdicts need the whole 95% interval and n >= 30 (migration s10verdicts)"


def _append_versions():
    """Where rule versions are stored, the latest is copied as a new version with the new defaults, so that an
    installation stops rewarding missing data at once while every earlier version keeps meaning what it meant."""
    bind = op.get_bind()
    now = portal.clock.utcnow()
    scores = sa.table('score_rules', sa.column('version', sa.Integer),
                      sa.column('created_at', portal.clock.UTCDateTime), sa.column('parts', sa.JSON),
                      sa.column('vetoes', sa.JSON), sa.column('note', sa.String),
                      sa.column('missing_data', sa.String), sa.column('verdict_min_n', sa.Integer),
                      sa.column('survey_source', sa.String))
    latest = bind.execute(sa.select(scores.c.version, scores.c.parts, scores.c.vetoes)
                          .order_by(scores.c.version.desc()).limit(1)).first()
    if latest is not None:
        bind.execute(scores.insert().values(version=latest.version + 1, created_at=now, parts=latest.parts,
                                            vetoes=latest.vetoes, note=NOTE, missing_data='zero',
                                            verdict_min_n=30, survey_source='sampled'))
    names = ('min_cases', 'red_count', 'red_min_score', 'black_count', 'black_below_score', 'area_level',
             'bulletin_target_percent', 'bulletin_min_rated')
    lists = sa.table('list_rules', sa.column('version', sa.Integer),
                     sa.column('created_at', portal.clock.UTCDateTime), sa.column('note', sa.Text),
                     sa.column('black_max_percent', sa.Float), *(sa.column(n) for n in names))
    latest = bind.execute(sa.select(lists.c.version, *(lists.c[n] for n in names))
                          .order_by(lists.c.version.desc()).limit(1)).first()
    if latest is not None:
        bind.execute(lists.insert().values(version=latest.version + 1, created_at=now, black_max_percent=20.0,
                                           note="The black list by rank covers at most a fifth of the field "
                                                "(migration s10verdicts)",
                                           **{n: getattr(latest, n) for n in names}))


def downgrade():
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_column('awareness_headline')
    with op.batch_alter_table('list_rules', schema=None) as batch_op:
        batch_op.drop_column('black_max_percent')
    with op.batch_alter_table('score_rules', schema=None) as batch_op:
        batch_op.drop_column('survey_source')
        batch_op.drop_column('verdict_min_n')
        batch_op.drop_column('missing_data')
