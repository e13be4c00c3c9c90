"""Process health for managers (indicators, drill-down, settings, coaching alerts, regional warnings) and a
rep's own coaching cards (docs/learning.md)."""

from flask import g, request

from app.api import bp, json_body, login_required
from app.schemas import load
from app.schemas.health import (
    CoachingAlertListOut,
    CoachingAlertOut,
    CoachingAlertQueryIn,
    CoachingCardListOut,
    HealthOut,
    HealthQueryIn,
    HealthSettingsIn,
    HealthSettingsOut,
    RegionWarningListOut,
    RepDetailOut,
    RepHealthQueryIn,
    WarningQueryIn,
)
from app.services import health as health_service


@bp.get("/health")
@login_required
def get_health():
    query = load(HealthQueryIn(), request.args.to_dict())
    return HealthOut().dump(health_service.overview(user=g.user, region_key=query.get("region"),
                                                    grid_key=query.get("grid"), days=query.get("days")))


@bp.get("/health/reps/<int:rep_id>")
@login_required
def get_rep_health(rep_id: int):
    query = load(RepHealthQueryIn(), request.args.to_dict())
    return RepDetailOut().dump(health_service.rep_detail(user=g.user, rep_id=rep_id, days=query.get("days")))


def _settings_out(region, settings) -> dict:
    return HealthSettingsOut().dump({"region": region.key, **settings.as_dict(),
                                     "overrides": region.health_settings or {},
                                     "defaults": health_service.defaults().as_dict()})


@bp.get("/regions/<key>/health-settings")
@login_required
def get_health_settings(key: str):
    return _settings_out(*health_service.get_settings(user=g.user, region_key=key))


@bp.put("/regions/<key>/health-settings")
@login_required
def put_health_settings(key: str):
    data = load(HealthSettingsIn(), json_body())
    return _settings_out(*health_service.update_settings(user=g.user, region_key=key, settings=data))


@bp.get("/coaching-alerts")
@login_required
def list_coaching_alerts():
    query = load(CoachingAlertQueryIn(), request.args.to_dict())
    items = health_service.list_alerts(user=g.user, region_key=query.get("region"), rep_id=query.get("rep"),
                                       acknowledged=query.get("acknowledged"))
    return CoachingAlertListOut().dump({"items": items})


@bp.post("/coaching-alerts/<int:alert_id>/acknowledge")
@login_required
def acknowledge_coaching_alert(alert_id: int):
    return CoachingAlertOut().dump(health_service.acknowledge(user=g.user, alert_id=alert_id))


@bp.get("/coaching")
@login_required
def list_my_coaching():
    return CoachingCardListOut().dump({"items": health_service.my_coaching(user=g.user)})


@bp.get("/warnings")
@login_required
def list_warnings():
    query = load(WarningQueryIn(), request.args.to_dict())
    return RegionWarningListOut().dump({"items": health_service.list_warnings(user=g.user,
                                                                              region_key=query.get("region"))})
