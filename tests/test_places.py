"""Places near a point and one place with its context."""

from datetime import date, timedelta

from tests.conftest import place_by_category
from tests.test_auth import assert_error_shape

SHANGHAI = (31.2304, 121.4737)


def test_nearby_places_sorted_by_distance_with_zone(client, auth):
    """Are places within the radius listed nearest first, each with its zone?"""
    response = client.get(f"/api/v1/places?lat={SHANGHAI[0]}&lon={SHANGHAI[1]}&radius_m=50000",
                          headers=auth.headers())
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert len(items) >= 40
    distances = [i["distance_m"] for i in items]
    assert distances == sorted(distances)
    assert all(d <= 50000 for d in distances)
    for item in items:
        assert {"id", "name", "category", "lat", "lon", "radius_m", "distance_m", "zone"} <= set(item)
    with_zone = [i for i in items if i["zone"]]
    assert with_zone, "demo places lie in zones"
    assert {"id", "type", "name"} <= set(with_zone[0]["zone"])


def test_small_radius_only_returns_close_places(client, auth, app):
    hospital = place_by_category(app, "tier3_hospital")
    response = client.get(f"/api/v1/places?lat={hospital.lat}&lon={hospital.lon}&radius_m=100",
                          headers=auth.headers())
    items = response.get_json()["items"]
    assert items[0]["id"] == hospital.id
    assert items[0]["distance_m"] < 1
    assert all(i["distance_m"] <= 100 for i in items)


def test_radius_over_50km_is_422(client, auth):
    error = assert_error_shape(
        client.get("/api/v1/places?lat=31.2&lon=121.4&radius_m=60000", headers=auth.headers()), 422
    )
    assert "radius_m" in error["fields"]


def test_missing_or_unreadable_coordinates_are_400(client, auth):
    headers = auth.headers()
    assert "lat" in assert_error_shape(client.get("/api/v1/places?lon=121.4", headers=headers), 400)["fields"]
    assert "lon" in assert_error_shape(
        client.get("/api/v1/places?lat=31.2&lon=east", headers=headers), 400)["fields"]


def test_out_of_range_latitude_is_422(client, auth):
    assert_error_shape(client.get("/api/v1/places?lat=95&lon=121.4", headers=auth.headers()), 422)


def test_place_detail_has_recent_notices_and_contacts(client, auth, app):
    """Does a hospital come with ≥3 procurement notices from the last 3 months and a key contact?"""
    hospital = place_by_category(app, "tier3_hospital")
    body = client.get(f"/api/v1/places/{hospital.id}", headers=auth.headers()).get_json()
    assert body["id"] == hospital.id
    assert body["name"] == hospital.name
    notices = body["context"]["procurement_notices"]
    assert len(notices) >= 3
    oldest_allowed = date.today() - timedelta(days=92)
    assert all(date.fromisoformat(n["date"]) >= oldest_allowed for n in notices)
    assert all(n["title"] for n in notices)
    contacts = body["context"]["contacts"]
    assert contacts and all(c["role"] for c in contacts)
    assert any(c["background"] for c in contacts if c["consent"])
    assert body["zone"] is not None


def test_contact_background_hidden_without_consent(client, auth, app):
    """Is personal background withheld when the contact's visit_card consent is withdrawn (docs/privacy.md)?"""
    from app.extensions import db
    from app.models import Contact, ContactConsent

    hospital = place_by_category(app, "tier3_hospital")
    with app.app_context():
        contact = db.session.query(Contact).filter_by(place_id=hospital.id).first()
        db.session.add(ContactConsent(contact_id=contact.id, purpose="visit_card", channel="phone", granted=False))
        db.session.commit()
        contact_id = contact.id
    body = client.get(f"/api/v1/places/{hospital.id}", headers=auth.headers()).get_json()
    shown = next(c for c in body["context"]["contacts"] if c["id"] == contact_id)
    assert shown["background"] is None
    assert shown["name"] and shown["role"]


def test_unknown_place_is_404(client, auth):
    assert_error_shape(client.get("/api/v1/places/999999", headers=auth.headers()), 404, "place_not_found")


def test_id_beyond_a_database_integer_is_404_not_a_crash(client, auth):
    """Found by fuzzing the OpenAPI description: a 20-digit id used to overflow SQLite."""
    assert_error_shape(client.get("/api/v1/places/99999999999999999999", headers=auth.headers()), 404)
