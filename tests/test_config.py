"""Configuration from the environment."""

import pytest

import config


def test_production_refuses_the_development_secret(monkeypatch):
    monkeypatch.setenv("BATTLEMAP_CONFIG", "production")
    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", config.DEV_SECRET)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        config.config_from_env()


def test_postgres_urls_use_psycopg3(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    assert config._database_url("sqlite://") == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    assert config._database_url("sqlite://") == "postgresql+psycopg://u@h/db"
    monkeypatch.delenv("DATABASE_URL")
    assert config._database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_production_accepts_a_real_secret(monkeypatch):
    monkeypatch.setenv("BATTLEMAP_CONFIG", "production")
    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", "a-long-random-secret")
    assert config.config_from_env() is config.ProductionConfig
