"""Key contacts' consent records (docs/privacy.md): shown only under a current consent, recorded with who and
how, exported and erased by the region's managers, withdrawn on the contact's own page — and gone from phones
at their next sync."""

import gzip
import json
import time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Contact, ContactConsent
from tests.conftest import place_by_category

BUNDLE = "/api/v1/sync/bundle"


@pytest.fixture
def contact_id(app):
    """A consenting contact of the demo's tier-3 hospital (the demo's consent became a visit_card record)."""
    hospital = place_by_category(app, "tier3_hospital")
    with app.app_context():
        contact = db.session.scalars(select(Contact).where(Contact.place_id == hospital.id, Contact.consent)).first()
        assert [(c.purpose, c.granted, c.channel) for c in contact.consents] == [("visit_card", True, "import")]
        return contact.id


def shown(client, headers, contact_id):
    hospital_cards = client.get(f"/api/v1/contacts/{contact_id}/export",
                                headers=headers["manager"]).get_json()["place"]["id"]
    body = client.get(f"/api/v1/places/{hospital_cards}", headers=headers["rep"]).get_json()
    return next(c for c in body["context"]["contacts"] if c["id"] == contact_id)


@pytest.fixture
def headers(auth):
    return {"rep": auth.headers(), "manager": auth.headers("manager@demo.battlemap")}


def bundle(client, headers, **query):
    response = client.get(BUNDLE, headers={**headers, "Accept-Encoding": "gzip"}, query_string=query)
    assert response.status_code == 200, response.get_data()
    return json.loads(gzip.decompress(response.data))


def bundle_contacts(body, contact_id) -> list[dict]:
    """The contact as the bundle's places section carries it (the offline cards read the place's context)."""
    return [c for place in body["upserts"]["places"].values() for c in place["context"]["contacts"]
            if c["id"] == contact_id]


def test_a_withdrawal_removes_the_data_from_phones_at_their_next_sync(client, headers, contact_id):
    first = bundle(client, headers["rep"])
    held = bundle_contacts(first, contact_id)
    assert held and all(c["background"] and c["phone_masked"] for c in held)
    recorded = client.post(f"/api/v1/contacts/{contact_id}/consents", headers=headers["rep"],
                           json={"purpose": "visit_card", "granted": False, "channel": "phone"})
    assert recorded.status_code == 201
    assert recorded.get_json()["purposes"][0] == {**recorded.get_json()["purposes"][0], "purpose": "visit_card",
                                                  "granted": False, "channel": "phone"}
    delta = bundle(client, headers["rep"], since=first["version"])
    assert delta["full"] is False and delta["version"] != first["version"]
    dropped = bundle_contacts(delta, contact_id)
    assert dropped and all(c["background"] is None and c["phone_masked"] is None and c["consent"] is False
                           for c in dropped)
    assert shown(client, headers, contact_id)["background"] is None
    client.post(f"/api/v1/contacts/{contact_id}/consents", headers=headers["rep"],
                json={"purpose": "visit_card", "granted": True, "channel": "in_person"})
    assert shown(client, headers, contact_id)["background"]


def test_consent_changes_are_recorded_with_who_when_and_the_audit_log(app, client, headers, contact_id):
    client.post(f"/api/v1/contacts/{contact_id}/consents", headers=headers["rep"],
                json={"purpose": "follow_up", "granted": True, "channel": "wechat"})
    export = client.get(f"/api/v1/contacts/{contact_id}/export", headers=headers["manager"])
    assert export.status_code == 200 and export.headers["Cache-Control"] == "no-store"
    body = export.get_json()
    assert body["contact"]["background"] and body["contact"]["name"]
    assert [(r["purpose"], r["granted"], r["channel"]) for r in body["consents"]] == [
        ("visit_card", True, "import"), ("follow_up", True, "wechat")]
    assert body["consents"][0]["recorded_by"] is None and isinstance(body["consents"][1]["recorded_by"], int)
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "contact",
                                                                     AuditEntry.target_id == contact_id)).all()
    assert actions == ["contact.consent_granted"]


def test_erase_leaves_a_tombstone_not_the_data(app, client, headers, contact_id):
    with app.app_context():
        background = db.session.get(Contact, contact_id).background
    assert client.delete(f"/api/v1/contacts/{contact_id}", headers=headers["rep"]).status_code == 403
    erased = client.delete(f"/api/v1/contacts/{contact_id}", headers=headers["manager"])
    assert erased.status_code == 200 and erased.get_json()["contact_id"] == contact_id
    with app.app_context():
        assert db.session.get(Contact, contact_id) is None
        assert db.session.scalars(select(ContactConsent).where(ContactConsent.contact_id == contact_id)).all() == []
        tomb = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "contact.erased",
                                                          AuditEntry.target_id == contact_id))
        assert tomb is not None and background not in json.dumps(tomb.detail, ensure_ascii=False)
    assert client.get(f"/api/v1/contacts/{contact_id}/export", headers=headers["manager"]).status_code == 404


def test_another_regions_manager_gets_403(client, auth, contact_id):
    other = auth.headers("manager.hz@demo.battlemap")
    assert client.get(f"/api/v1/contacts/{contact_id}/export", headers=other).status_code == 403
    assert client.delete(f"/api/v1/contacts/{contact_id}", headers=other).status_code == 403
    assert client.post(f"/api/v1/contacts/{contact_id}/consents", headers=auth.headers("rep.hz@demo.battlemap"),
                       json={"purpose": "visit_card", "granted": False, "channel": "phone"}).status_code == 403


def test_the_contacts_own_link_shows_and_withdraws_without_login(client, headers, contact_id):
    link = client.post(f"/api/v1/contacts/{contact_id}/link", headers=headers["rep"])
    assert link.status_code == 201
    token = link.get_json()["token"]
    assert link.get_json()["url"] == f"/c/{token}"
    page = client.get(f"/api/v1/public/contacts/{token}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert page.get_json()["contact"]["background"]
    withdrawn = client.post(f"/api/v1/public/contacts/{token}/withdraw", json={"purpose": "visit_card"})
    assert withdrawn.status_code == 200
    assert withdrawn.get_json()["consents"][-1] == {**withdrawn.get_json()["consents"][-1], "purpose": "visit_card",
                                                     "granted": False, "channel": "contact_page",
                                                     "recorded_by": None}
    assert shown(client, headers, contact_id)["background"] is None
    assert client.get(f"/api/v1/public/contacts/{token}x").get_json()["error"]["code"] == "link_invalid"


def test_an_expired_link_is_refused(app, client, headers, contact_id, monkeypatch):
    token = client.post(f"/api/v1/contacts/{contact_id}/link", headers=headers["rep"]).get_json()["token"]
    later = time.time() + 15 * 86400
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.get(f"/api/v1/public/contacts/{token}")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "link_expired"


def test_the_live_card_and_the_preview_follow_the_withdrawal(app, client, headers, contact_id, field):
    """Withdrawn: does neither the live popup on entering nor the console's preview carry the data?"""
    from app.models import User

    with app.app_context():
        place_id = db.session.get(Contact, contact_id).place_id
        rep_id = db.session.scalar(select(User.id).where(User.email == "rep@demo.battlemap"))
    client.post(f"/api/v1/contacts/{contact_id}/consents", headers=headers["manager"],
                json={"purpose": "visit_card", "granted": False, "channel": "written"})
    preview = client.get(f"/api/v1/preview?rep_id={rep_id}&place_id={place_id}", headers=headers["manager"])
    assert preview.status_code == 200
    [held] = [c for c in preview.get_json()["context"]["contacts"] if c["id"] == contact_id]
    assert held["background"] is None and held["phone_masked"] is None
    place = place_by_category(app, "tier3_hospital")
    sock = field()
    ack = sock.emit("location", {"lat": place.lat, "lon": place.lon, "accuracy_m": 10.0,
                                 "ts": int(time.time() * 1000)}, namespace="/field", callback=True)
    assert ack["popups"] == 1
    [popup] = [m["args"][0] for m in sock.get_received("/field") if m["name"] == "popup"]
    [live] = [c for c in popup["context"]["contacts"] if c["id"] == contact_id]
    assert live["background"] is None and live["phone_masked"] is None
