"""Privacy payloads (docs/privacy.md): duty schedules and the location switch, a rep's own location history,
contacts' consent records, export, erasure and the contact's own page."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.schemas import BoundedDate, BoundedInteger
from app.services.consents import CHANNELS, PURPOSES

HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="A time is HH:MM (00:00–23:59).")


class DutyScheduleSchema(Schema):
    days = fields.List(BoundedInteger(min=1, max=7), required=True, validate=validate.Length(min=1, max=7),
                       metadata={"description": "ISO weekdays on duty: 1 = Monday … 7 = Sunday"})
    start = fields.String(required=True, validate=HHMM, metadata={"description": "local time, inclusive"})
    end = fields.String(required=True, validate=HHMM, metadata={"description": "local time, exclusive"})

    @validates_schema
    def _order(self, data, **kwargs):
        if data["start"] >= data["end"]:
            raise ValidationError("The duty ends after it starts.", "end")
        if len(set(data["days"])) != len(data["days"]):
            raise ValidationError("Each weekday once.", "days")


class DutyOut(Schema):
    location_on = fields.Boolean(metadata={"description": "the rep's switch in the app"})
    schedule = fields.Nested(DutyScheduleSchema, allow_none=True,
                             metadata={"description": "the schedule in force; null: always on duty"})
    source = fields.String(metadata={"description": "rep | region | default: where the schedule comes from"})
    on_duty = fields.Boolean(metadata={"description": "would a fix taken now be accepted"})
    reason = fields.String(allow_none=True, metadata={"description": "off_duty | location_off when not"})
    timezone = fields.String()


class DutyIn(Schema):
    location_on = fields.Boolean(required=True)


class DutyScheduleIn(Schema):
    schedule = fields.Nested(DutyScheduleSchema, required=True, allow_none=True,
                             metadata={"description": "null: back to the region's (or the default) schedule"})


class RegionDutyOut(Schema):
    region = fields.String()
    schedule = fields.Nested(DutyScheduleSchema, allow_none=True)


class UserDutyOut(Schema):
    user_id = fields.Integer()
    schedule = fields.Nested(DutyScheduleSchema, allow_none=True)


class MyLocationsQueryIn(Schema):
    date = BoundedDate(required=True, metadata={"description": "a local day (YYYY-MM-DD)"})


class StoredFixOut(Schema):
    ts = fields.Integer(metadata={"description": "the phone's fix time, ms since epoch"})
    lat = fields.Float()
    lon = fields.Float()
    accuracy_m = fields.Float(allow_none=True)


class DayVisitOut(Schema):
    """A visit record: the first and the last stored fix inside the place's fence that day."""

    place_id = fields.Integer()
    place_name = fields.String()
    first_enter_at = fields.DateTime()
    last_exit_at = fields.DateTime()
    fixes = fields.Integer(metadata={"description": "how many raw fixes it was reduced from"})


class VisitOut(Schema):
    day = fields.Date()
    place_id = fields.Integer()
    first_enter_at = fields.DateTime()
    last_exit_at = fields.DateTime()
    fixes = fields.Integer()


class MyLocationsOut(Schema):
    date = fields.Date()
    retention_days = fields.Integer()
    fixes = fields.List(fields.Nested(StoredFixOut))
    visits = fields.List(fields.Nested(DayVisitOut))


class LocationOwnerOut(Schema):
    id = fields.Integer()
    name = fields.String()


class MyLocationsExportOut(Schema):
    rep = fields.Nested(LocationOwnerOut)
    exported_at = fields.DateTime()
    retention_days = fields.Integer()
    duty = fields.Nested(DutyOut)
    fixes = fields.List(fields.Nested(StoredFixOut))
    visits = fields.List(fields.Nested(VisitOut))


# ── contacts ────────────────────────────────────────────────────────────────────────────────────────


class ConsentIn(Schema):
    purpose = fields.String(required=True, validate=validate.OneOf(PURPOSES))
    granted = fields.Boolean(required=True)
    channel = fields.String(required=True, validate=validate.OneOf([c for c in CHANNELS if c != "contact_page"]))


class ContactWithdrawIn(Schema):
    purpose = fields.String(required=True, validate=validate.OneOf(PURPOSES))


class ConsentPurposeOut(Schema):
    purpose = fields.String(metadata={"description": "visit_card | follow_up"})
    granted = fields.Boolean()
    channel = fields.String(allow_none=True)
    recorded_at = fields.DateTime(allow_none=True)


class ConsentRecordOut(Schema):
    purpose = fields.String()
    granted = fields.Boolean()
    channel = fields.String()
    recorded_by = fields.Integer(allow_none=True, metadata={"description": "user id; null: the contact themselves"})
    recorded_at = fields.DateTime()


class ContactDataOut(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()
    background = fields.String()
    phone_masked = fields.String(allow_none=True)


class ContactPlaceOut(Schema):
    id = fields.Integer()
    name = fields.String()


class ContactExportOut(Schema):
    contact = fields.Nested(ContactDataOut)
    place = fields.Nested(ContactPlaceOut)
    purposes = fields.List(fields.Nested(ConsentPurposeOut), metadata={"description": "the current state per purpose"})
    consents = fields.List(fields.Nested(ConsentRecordOut), metadata={"description": "every change, oldest first"})
    exported_at = fields.DateTime()


class ContactErasedOut(Schema):
    contact_id = fields.Integer()
    place_id = fields.Integer()
    consent_records = fields.Integer()
    erased_at = fields.DateTime()


class ContactLinkOut(Schema):
    token = fields.String()
    url = fields.String(metadata={"description": "the contact's own page: /c/<token>"})
    expires_at = fields.DateTime()
