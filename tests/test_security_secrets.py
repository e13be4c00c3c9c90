"""The signing key: every install has its own, production has one set on purpose (docs/security.md)."""

import os
import shutil
import stat
import subprocess
import sys

import pytest
from itsdangerous import URLSafeTimedSerializer

import config
from app import create_app
from app.extensions import db, socketio
from tests.conftest import DEMO_PASSWORD, make_config
from tests.servers import ROOT


def test_two_fresh_instance_dirs_get_different_keys(tmp_path):
    """Do two laptop installs sign their tokens with different keys, each kept private and reused?"""
    first = config.instance_secret(tmp_path / "a")
    second = config.instance_secret(tmp_path / "b")
    assert first != second
    assert len(first) >= 32 and len(second) >= 32
    assert config.instance_secret(tmp_path / "a") == first, "the key is made once and kept"
    mode = stat.S_IMODE((tmp_path / "a" / "secret_key").stat().st_mode)
    assert mode == 0o600, oct(mode)
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["secret_key"], "no temporary file left behind"


def test_development_without_a_secret_uses_the_install_key(monkeypatch, tmp_path):
    """Does `make run` without SECRET_KEY sign with instance/secret_key, the same key on the next start?"""
    monkeypatch.delenv("BATTLEMAP_CONFIG", raising=False)
    monkeypatch.setattr(config.DevelopmentConfig, "SECRET_KEY", None)
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)
    first = config.config_from_env()
    assert first.SECRET_KEY == (tmp_path / "secret_key").read_text().strip()
    assert first.SECRET_KEY != config.DEV_SECRET
    assert config.config_from_env().SECRET_KEY == first.SECRET_KEY
    assert issubclass(first, config.DevelopmentConfig)


def test_the_old_dev_key_in_the_environment_counts_as_no_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", config.DEV_SECRET)
    assert config._env_secret() is None
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-of-enough-length")
    assert config._env_secret() == "a-real-secret-of-enough-length"


@pytest.mark.parametrize("key", [None, "", config.DEV_SECRET, "short"])
def test_production_refuses_a_missing_or_weak_secret(monkeypatch, key):
    monkeypatch.setenv("BATTLEMAP_CONFIG", "production")
    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        config.config_from_env()


def test_an_app_without_a_key_does_not_start():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(make_config("sqlite://", SECRET_KEY=None))


def test_production_server_process_refuses_to_start_without_secret_key(tmp_path):
    """Does `BATTLEMAP_CONFIG=production python wsgi.py` exit at once, naming SECRET_KEY, when none is set?"""
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"BATTLEMAP_CONFIG": "production", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
                "BATTLEMAP_INSTANCE_DIR": str(tmp_path)})
    done = subprocess.run([sys.executable, "wsgi.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr
    assert not (tmp_path / "secret_key").exists(), "production never makes a key of its own"


def test_a_token_minted_with_the_old_fixed_dev_key_is_refused(demo_template, tmp_path):
    """Can anyone still mint an admin token with the dev key every laptop install used to share? (issue 11)"""
    path = tmp_path / "battlemap.db"
    shutil.copy(demo_template, path)
    app = create_app(make_config(f"sqlite:///{path}", SECRET_KEY=config.instance_secret(tmp_path / "instance")))
    client = app.test_client()
    try:
        real = client.post("/api/v1/auth/login", json={"email": "admin@demo.battlemap", "password": DEMO_PASSWORD})
        assert real.status_code == 200
        admin = real.get_json()
        payload = {"uid": admin["user"]["id"], "sid": "0" * 32, "jti": "forged"}
        with app.app_context():
            from app.models import AuthSession

            payload["sid"] = db.session.query(AuthSession.id).filter_by(user_id=payload["uid"]).scalar()
        for forged in (URLSafeTimedSerializer(config.DEV_SECRET, salt="battlemap-auth").dumps(payload),
                       URLSafeTimedSerializer(config.DEV_SECRET, salt="battlemap-auth").dumps({"uid": payload["uid"]})):
            response = client.get("/api/v1/users", headers={"Authorization": f"Bearer {forged}"})
            assert response.status_code == 401
            assert response.get_json()["error"]["code"] == "token_invalid"
            sock = socketio.test_client(app, namespace="/field", auth={"token": forged})
            assert not sock.is_connected("/field")
        assert client.get("/api/v1/users", headers={"Authorization": f"Bearer {admin['token']}"}).status_code == 200
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
