"""The one error shape (docs/api.md): flat ``fields`` paths everywhere, and 400 versus 422 decided by the
marshmallow error key that produced a message, never by the message's text."""

import pytest
from marshmallow import Schema, ValidationError, fields, validate, validates

from app.errors import InvalidInput, MalformedInput, flat_fields
from app.schemas import load, malformed
from tests.test_auth import assert_error_shape
from tests.test_events import Outbox, event
from tests.test_rules import create


def assert_flat(error: dict) -> None:
    assert isinstance(error["fields"], dict)
    for path, messages in error["fields"].items():
        assert isinstance(path, str) and path
        assert isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages), (path, error)


def test_nested_messages_become_one_path_each():
    nested = {"show": {0: {"pack": ["Not ours."]}}, "conditions": {"shopper": {"types": ["Unknown."]},
              "_schema": ["min > max."]}, "data": {"stops": {"1": {"place_id": ["No such place."]}}}}
    assert flat_fields(nested) == {"show[0].pack": ["Not ours."], "conditions.shopper.types": ["Unknown."],
                                   "conditions": ["min > max."], "data.stops[1].place_id": ["No such place."]}
    assert flat_fields(flat_fields(nested)) == flat_fields(nested), "flat input comes back as it was"
    assert flat_fields({"_schema": ["Send a JSON object."]}) == {"_schema": ["Send a JSON object."]}
    assert flat_fields(None) == {}
    assert InvalidInput(fields={"a": {"b": ["c"]}}).fields == {"a.b": ["c"]}, "every AppError is flat"


class Sample(Schema):
    when = fields.DateTime(required=True)
    count = fields.Integer(validate=validate.Range(min=1, max=5),
                           error_messages={"invalid": "Zählen bitte."})  # a reworded structural message
    note = fields.String()
    items = fields.List(fields.Nested(lambda: Item()))

    @validates("note")
    def _note(self, value, **kwargs):
        if value == "copy":  # a rule whose text happens to equal marshmallow's "required" message
            raise ValidationError("Missing data for required field.")
        if value == "unreadable":
            raise ValidationError(malformed("Say it another way."))


class Item(Schema):
    name = fields.String(required=True)


@pytest.mark.parametrize(("data", "error", "path"), [
    ({"when": "yesterday"}, MalformedInput, "when"),  # formatted "Not a valid {obj_type}." is still a 400
    ({"when": "2026-11-23T09:00:00", "count": "three"}, MalformedInput, "count"),  # reworded: still a 400
    ({"when": "2026-11-23T09:00:00", "count": 9}, InvalidInput, "count"),
    ({"when": "2026-11-23T09:00:00", "note": "copy"}, InvalidInput, "note"),  # same text, but a rule: 422
    ({"when": "2026-11-23T09:00:00", "note": "unreadable"}, MalformedInput, "note"),
    ({}, MalformedInput, "when"),
    ({"when": "2026-11-23T09:00:00", "colour": "red"}, MalformedInput, "colour"),
    ({"when": "2026-11-23T09:00:00", "items": [{"name": "a"}, {}]}, MalformedInput, "items[1].name"),
    ({"when": "2026-11-23T09:00:00", "items": [{"name": "a"}, "b"]}, MalformedInput, "items[1]"),
])
def test_the_kind_of_error_decides_the_status_not_its_text(data, error, path):
    with pytest.raises((MalformedInput, InvalidInput)) as caught:
        load(Sample(), data)
    assert type(caught.value) is error, caught.value.fields
    assert path in caught.value.fields, caught.value.fields
    assert_flat({"fields": caught.value.fields})


def test_the_mark_survives_loading_the_same_schema_again():
    schema = Sample()
    for _ in range(2):
        with pytest.raises(MalformedInput):
            load(schema, {"when": "2026-11-23T09:00:00", "count": "three"})
    with pytest.raises(InvalidInput):
        load(schema, {"when": "2026-11-23T09:00:00", "count": 0})


def test_http_errors_are_flat_paths(client, auth):
    bad = {"shopper": {"types": ["chronic_self_care", "aliens"]}}
    error = assert_error_shape(create(client, auth, event="budget_entered", conditions=bad), 422, "invalid_values")
    assert list(error["fields"]) == ["conditions.shopper.types"]
    assert_flat(error)
    error = assert_error_shape(create(client, auth, conditions={"time": {"from": 9}}), 400, "malformed_request")
    assert_flat(error)
    assert any(p.startswith("conditions.time") for p in error["fields"]), error
    show = [{"pack": "procurement-led-hospitals", "kind": "talk_tracks", "ids": ["nope"]}]
    error = assert_error_shape(create(client, auth, show=show), 422, "invalid_values")
    assert list(error["fields"]) == ["show[0].ids"]


def test_each_rejected_event_of_a_batch_has_flat_paths_inside_the_event(client):
    results = Outbox(client).send([
        event("card_feedback", data={"rating": "great"}),
        event("plan", place_id=None, data={"date": "2026-11-25", "stops": [{"place_id": 1}, {"place_id": 999_998}]}),
        event("plan", place_id=None, data={"date": "2026-11-25", "stops": [{"place_id": "x"}]}),
    ])
    assert [r["status"] for r in results] == ["rejected"] * 3
    for result in results:
        assert_flat(result["error"])
    assert list(results[0]["error"]["fields"]) == ["data.rating"]
    assert list(results[1]["error"]["fields"]) == ["data.stops[1].place_id"]
    assert results[2]["error"]["code"] == "malformed_request"
    assert list(results[2]["error"]["fields"]) == ["data.stops[0].place_id"]


def test_a_405_is_in_the_error_shape_and_names_the_allowed_methods(client):
    response = client.delete("/api/v1/auth/login")
    error = assert_error_shape(response, 405, "method_not_allowed")
    assert_flat(error)
    assert "POST" in {m.strip() for m in response.headers["Allow"].split(",")}


def test_the_openapi_error_schema_says_fields_are_flat(client):
    spec = client.get("/openapi.json").get_json()
    schema = spec["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["fields"]
    assert schema["additionalProperties"] == {"type": "array", "items": {"type": "string"}}
