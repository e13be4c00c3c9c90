"""Field events: the PWA's outbox posts them (stored once per client id) and reads its own back."""

from flask import g, request

from app.api import bp, json_body, login_required
from app.schemas import load
from app.schemas.events import EventBatchIn, EventBatchOut, EventListOut, EventQueryIn
from app.services import events as event_service


@bp.post("/events")
@login_required
def post_events():
    batch = load(EventBatchIn(), json_body())
    return EventBatchOut().dump({"results": event_service.record_events(user=g.user, raw_events=batch["events"])})


@bp.get("/events")
@login_required
def list_events():
    query = load(EventQueryIn(), request.args.to_dict())
    query.pop("mine")
    return EventListOut().dump({"items": event_service.list_events(user=g.user, **query)})
