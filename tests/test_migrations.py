"""The schema is managed by migrations: the migrated database matches the models exactly."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.city import CitySettings
from portal.extensions import db


def test_migrations_match_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_create_the_city_settings_with_a_qr_key(app):
    settings = db.session.get(CitySettings, 1)
    assert settings is not None and len(settings.qr_key) == 64 and settings.hotline
