"""Talk-track experiments for managers and the onboarding collection for reps (docs/experiments.md)."""

from flask import g, request

from app.api import bp, json_body, login_required
from app.schemas import load
from app.schemas.experiments import (
    ExperimentListOut,
    ExperimentOut,
    ExperimentPatchIn,
    ExperimentQueryIn,
    OnboardingListOut,
)
from app.services import experiments as experiment_service


@bp.get("/experiments")
@login_required
def list_experiments():
    query = load(ExperimentQueryIn(), request.args.to_dict())
    items = experiment_service.list_experiments(user=g.user, region_key=query.get("region"))
    return ExperimentListOut().dump({"items": items})


@bp.get("/experiments/<int:experiment_id>")
@login_required
def get_experiment(experiment_id: int):
    return ExperimentOut().dump(experiment_service.get_experiment(user=g.user, experiment_id=experiment_id))


@bp.patch("/experiments/<int:experiment_id>")
@login_required
def update_experiment(experiment_id: int):
    changes = load(ExperimentPatchIn(), json_body())
    return ExperimentOut().dump(experiment_service.update_design(user=g.user, experiment_id=experiment_id,
                                                                 changes=changes))


@bp.get("/onboarding")
@login_required
def list_onboarding():
    return OnboardingListOut().dump({"items": experiment_service.onboarding(user=g.user)})
