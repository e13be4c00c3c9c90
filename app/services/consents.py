"""Key contacts' consent records (PIPL): what a contact agreed to, for which purpose, through which channel,
recorded by whom and when; export and erasure; the contact's own signed link (docs/privacy.md).

A contact's consent for a purpose is the newest ``ContactConsent`` of that purpose: granted or withdrawn.
Without a current ``visit_card`` consent a card (live popup, bundle, place detail, preview) shows the contact's
name and role only — never the background or the phone. Every change bumps the geo counter that the cached
place cards follow, so the phones' next bundle delta carries the card without the data.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.errors import Forbidden, NotFound, Unauthorized
from app.extensions import db
from app.models import Contact, ContactConsent, Place, User, utcnow
from app.services import audit, geo_state, permissions

VISIT_CARD = "visit_card"
"""The contact's background and phone shown to the region's reps on the place's card."""
FOLLOW_UP = "follow_up"
"""The rep may call the contact on the recorded phone to follow up a visit."""
PURPOSES = (VISIT_CARD, FOLLOW_UP)
CHANNELS = ("in_person", "phone", "wechat", "written", "import", "contact_page")
LINK_SALT = "battlemap.contact-view"


@dataclass(frozen=True)
class ConsentState:
    purpose: str
    granted: bool
    channel: str | None
    recorded_at: datetime | None


def current(contact: Contact) -> dict[str, ContactConsent]:
    """The newest record per purpose (from the loaded ``contact.consents``; no query when already loaded)."""
    newest: dict[str, ContactConsent] = {}
    for record in contact.consents:
        if record.purpose not in newest or record.id > newest[record.purpose].id:
            newest[record.purpose] = record
    return newest


def granted(contact: Contact, purpose: str = VISIT_CARD) -> bool:
    record = current(contact).get(purpose)
    return bool(record and record.granted)


def states(contact: Contact) -> list[ConsentState]:
    newest = current(contact)
    return [ConsentState(p, bool(newest.get(p) and newest[p].granted),
                         newest[p].channel if p in newest else None,
                         newest[p].recorded_at if p in newest else None) for p in PURPOSES]


def contact_by_id(contact_id: int) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"No contact with id {contact_id}.", code="contact_not_found")
    return contact


def managed_contact(user: User, contact_id: int, action: str) -> Contact:
    """The contact, if ``POLICY`` lets ``user`` do ``action`` (export, erase) on contacts of its place's region
    (managers of the region, admins); else 403."""
    permissions.require_manager(user, "contacts", action)
    contact = contact_by_id(contact_id)
    permissions.require_manager_of(user, contact.place.region_id, "contacts", action)
    return contact


def field_contact(user: User, contact_id: int) -> Contact:
    """The contact, if ``user`` works its place's region: a rep of the region (who meets the contact and records
    what they agreed to, or hands over their link) or a manager of it; else 403."""
    contact = contact_by_id(contact_id)
    if user.role == "rep" and user.region_id is not None and user.region_id == contact.place.region_id:
        return contact
    if user.role in permissions.MANAGING_ROLES and permissions.can_manage(user, contact.place.region_id):
        return contact
    raise Forbidden("This contact is not in your region.")


def link_expires_at() -> datetime:
    return utcnow() + timedelta(seconds=link_max_age_s())


def record(contact: Contact, *, purpose: str, granted_: bool, channel: str, by: User | None) -> ContactConsent:
    """Add one consent change and commit; the audit log keeps who."""
    entry = ContactConsent(contact_id=contact.id, purpose=purpose, channel=channel, granted=granted_,
                           recorded_by_id=by.id if by else None, recorded_at=utcnow())
    contact.consents.append(entry)
    audit.record(actor=by, action="contact.consent_granted" if granted_ else "contact.consent_withdrawn",
                 target_type="contact", target_id=contact.id, region_id=contact.place.region_id,
                 detail={"purpose": purpose, "channel": channel})
    geo_state.bump_version()  # cards follow the geo counter
    db.session.commit()
    return entry


def export(contact: Contact) -> dict:
    """Everything held about the contact, and why (the JSON a manager or the contact downloads)."""
    place: Place = contact.place
    return {
        "contact": {"id": contact.id, "name": contact.name, "role": contact.role,
                    "background": contact.background or "", "phone_masked": contact.phone_masked},
        "place": {"id": place.id, "name": place.name},
        "purposes": [{"purpose": s.purpose, "granted": s.granted, "channel": s.channel,
                      "recorded_at": s.recorded_at} for s in states(contact)],
        "consents": [{"purpose": r.purpose, "granted": r.granted, "channel": r.channel,
                      "recorded_by": r.recorded_by_id, "recorded_at": r.recorded_at} for r in contact.consents],
        "exported_at": utcnow(),
    }


def erase(contact: Contact, *, by: User) -> dict:
    """Delete the contact and its consent records; the audit log keeps a tombstone (ids, who, when — no data)."""
    tombstone = {"contact_id": contact.id, "place_id": contact.place_id, "consent_records": len(contact.consents)}
    audit.record(actor=by, action="contact.erased", target_type="contact", target_id=contact.id,
                 region_id=contact.place.region_id, detail=tombstone)
    db.session.delete(contact)
    geo_state.bump_version()
    db.session.commit()
    return {**tombstone, "erased_at": utcnow()}


# ── the contact's own link ─────────────────────────────────────────────────────────────────────────


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def link_token(contact: Contact) -> str:
    return _serializer().dumps({"c": contact.id})


def link_max_age_s() -> int:
    return int(current_app.config.get("CONTACT_LINK_DAYS", 14)) * 86400


def contact_from_token(token: str) -> Contact:
    """The contact a signed link names: 401 ``link_invalid`` / ``link_expired``, 404 once erased."""
    try:
        data = _serializer().loads(token, max_age=link_max_age_s())
    except SignatureExpired as err:
        raise Unauthorized("This link has expired; ask for a new one.", code="link_expired") from err
    except BadSignature as err:
        raise Unauthorized("This link is not valid.", code="link_invalid") from err
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        raise Unauthorized("This link is not valid.", code="link_invalid")
    return contact_by_id(data["c"])
