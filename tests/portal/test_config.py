"""Configuration from the environment, with safe defaults."""
from portal.config import config_from_env, normalise_database_url


def test_defaults_use_sqlite_in_instance_and_generate_a_secret_once(tmp_path):
    config = config_from_env(tmp_path, environ={})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/minsheng.db"
    assert len(config["SECRET_KEY"]) == 64
    assert config_from_env(tmp_path, environ={})["SECRET_KEY"] == config["SECRET_KEY"]
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"


def test_environment_overrides(tmp_path):
    environ = {"SECRET_KEY": "k", "DATABASE_URL": "postgresql://u@h/db", "REDIS_URL": "redis://127.0.0.1:6379/0",
               "SESSION_COOKIE_SECURE": "1"}
    config = config_from_env(tmp_path, environ=environ)
    assert config["SECRET_KEY"] == "k"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert normalise_database_url(config["SQLALCHEMY_DATABASE_URI"]) == "postgresql+psycopg://u@h/db"
    assert not (tmp_path / "secret_key").exists()


def test_postgres_scheme_aliases_use_psycopg3():
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_rate_limits_can_be_switched_off_for_load_tests(tmp_path):
    config = config_from_env(tmp_path, environ={"RATELIMIT_ENABLED": "0", "SECRET_KEY": "k"})
    assert config["RATELIMIT_ENABLED"] is False
    assert "RATELIMIT_ENABLED" not in config_from_env(tmp_path, environ={"SECRET_KEY": "k"})
