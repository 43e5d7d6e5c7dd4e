"""The schema is managed by migrations: the migrated database matches the models exactly."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from composition import create_app
from portal.extensions import db
from tests.conftest import base_config


def test_migrations_match_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_create_the_city_settings_with_a_qr_key(tmp_path):
    """On a database the migrations alone built: the ``app`` fixture would create the row itself."""
    fresh = create_app(base_config(f"sqlite:///{tmp_path / 'fresh.db'}"))
    with fresh.app_context():
        upgrade()
        rows = db.session.execute(db.text("SELECT id, qr_key, hotline FROM city_settings")).all()
        db.engine.dispose()
    assert len(rows) == 1
    (row_id, qr_key, hotline), = rows
    assert row_id == 1 and len(qr_key) == 64 and int(qr_key, 16) >= 0 and hotline
