"""The privacy migration turns an existing contact's consent flag into a visit_card consent record."""

from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.extensions import db
from tests.conftest import make_config


def test_existing_consent_flags_become_consent_records(tmp_path):
    app = create_app(make_config(f"sqlite:///{tmp_path / 'old.db'}"))
    directory = str(app.config["MIGRATIONS_DIR"])
    with app.app_context():
        upgrade(directory=directory, revision="e5a1c7d9b2f4")
        db.session.execute(text("INSERT INTO place_categories (key, name_zh, name_en, default_radius_m) "
                                "VALUES ('tier3_hospital', '三甲医院', 'Tier-3 hospital', 500)"))
        db.session.execute(text("INSERT INTO places (id, key, name, category, lat, lon, radius_m, address, tags) "
                                "VALUES (1, 'p1', '某医院', 'tier3_hospital', 31.2, 121.4, 500, '', '[]')"))
        db.session.execute(text("INSERT INTO contacts (id, place_id, name, role, background, consent) VALUES "
                                "(1, 1, '陈建华', '主任', '背景', 1), (2, 1, '刘颖', '主任', '背景', 0)"))
        db.session.commit()
        upgrade(directory=directory)
        rows = db.session.execute(text("SELECT contact_id, purpose, channel, granted, recorded_by_id "
                                       "FROM contact_consents")).all()
        on = db.session.execute(text("SELECT location_on FROM users")).all()
        db.session.remove()
        db.engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "visit_card", "import", 1, None)]
    assert on == []
