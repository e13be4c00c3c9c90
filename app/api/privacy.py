"""Privacy (docs/privacy.md): the rep's duty switch and location history, duty schedules, contacts' consent
records, export and erasure, and the contact's own page (no login: the signed link is the permission)."""

from flask import g, request

from app.api import bp, json_body, login_required
from app.schemas import load
from app.schemas.privacy import (
    ConsentIn,
    ContactErasedOut,
    ContactExportOut,
    ContactLinkOut,
    ContactWithdrawIn,
    DutyIn,
    DutyOut,
    DutyScheduleIn,
    MyLocationsExportOut,
    MyLocationsOut,
    MyLocationsQueryIn,
    RegionDutyOut,
    UserDutyOut,
)
from app.services import consents, privacy

NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/auth/me/duty")
@login_required
def get_my_duty():
    return DutyOut().dump(privacy.duty_out(g.user))


@bp.put("/auth/me/duty")
@login_required
def put_my_duty():
    data = load(DutyIn(), json_body())
    return DutyOut().dump(privacy.duty_out(privacy.set_location_on(g.user, data["location_on"])))


@bp.put("/regions/<key>/duty")
@login_required
def put_region_duty(key: str):
    data = load(DutyScheduleIn(), json_body())
    region = privacy.set_region_schedule(actor=g.user, region_key=key, schedule=data["schedule"])
    return RegionDutyOut().dump({"region": region.key, "schedule": region.duty_schedule})


@bp.put("/users/<int:user_id>/duty")
@login_required
def put_user_duty(user_id: int):
    data = load(DutyScheduleIn(), json_body())
    user = privacy.set_rep_schedule(actor=g.user, user_id=user_id, schedule=data["schedule"])
    return UserDutyOut().dump({"user_id": user.id, "schedule": user.duty_schedule})


@bp.get("/me/locations")
@login_required
def my_locations():
    query = load(MyLocationsQueryIn(), request.args.to_dict())
    return MyLocationsOut().dump(privacy.my_locations(g.user, query["date"])), 200, NO_STORE


@bp.get("/me/locations/export")
@login_required
def my_locations_export():
    headers = {**NO_STORE, "Content-Disposition": 'attachment; filename="my-locations.json"'}
    return MyLocationsExportOut().dump(privacy.my_locations_export(g.user)), 200, headers


@bp.post("/contacts/<int:contact_id>/consents")
@login_required
def record_contact_consent(contact_id: int):
    data = load(ConsentIn(), json_body())
    contact = consents.field_contact(g.user, contact_id)
    consents.record(contact, purpose=data["purpose"], granted_=data["granted"], channel=data["channel"], by=g.user)
    return ContactExportOut().dump(consents.export(contact)), 201, NO_STORE


@bp.get("/contacts/<int:contact_id>/export")
@login_required
def export_contact(contact_id: int):
    contact = consents.managed_contact(g.user, contact_id, "export")
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="contact-{contact_id}.json"'}
    return ContactExportOut().dump(consents.export(contact)), 200, headers


@bp.delete("/contacts/<int:contact_id>")
@login_required
def erase_contact(contact_id: int):
    contact = consents.managed_contact(g.user, contact_id, "erase")
    return ContactErasedOut().dump(consents.erase(contact, by=g.user))


@bp.post("/contacts/<int:contact_id>/link")
@login_required
def make_contact_link(contact_id: int):
    contact = consents.field_contact(g.user, contact_id)
    token = consents.link_token(contact)
    body = {"token": token, "url": f"/c/{token}", "expires_at": consents.link_expires_at()}
    return ContactLinkOut().dump(body), 201, NO_STORE


@bp.get("/public/contacts/<token>")
def get_contact_page(token: str):
    """No login: the signed, expiring link is the permission."""
    return ContactExportOut().dump(consents.export(consents.contact_from_token(token))), 200, NO_STORE


@bp.post("/public/contacts/<token>/withdraw")
def withdraw_on_contact_page(token: str):
    """The contact withdraws one purpose themselves (channel ``contact_page``, recorded by nobody)."""
    data = load(ContactWithdrawIn(), json_body())  # the body first: an unreadable one is 400 whatever the link
    contact = consents.contact_from_token(token)
    consents.record(contact, purpose=data["purpose"], granted_=False, channel="contact_page", by=None)
    return ContactExportOut().dump(consents.export(contact)), 200, NO_STORE
