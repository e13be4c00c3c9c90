"""Periodic jobs, declared as data with stable ids and run by ONE scheduler process: ``flask scheduler run``.

Never start a scheduler inside ``create_app`` or a web worker: every worker would run every job. The job
functions are plain functions (tests call them with a fixed ``now``); each commits its own work and pushes
``pack.updated`` through the notifier. From its own process that push reaches phones only through the
Socket.IO message queue, so with several processes the scheduler needs the same ``REDIS_URL`` as the web
processes.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from app import notifier
from app.extensions import db
from app.services import packs
from app.services.packs import LiveChange

log = logging.getLogger(__name__)


def _notify(changes: list[LiveChange]) -> list[LiveChange]:
    for change in changes:
        notifier.push_pack_updated(change.rep_ids, change.pack_key, change.version)
    return changes


def publish_due_versions(now: datetime | None = None) -> list[LiveChange]:
    """Publish the in-review pack versions whose ``publish_at`` has come; tell the reps in scope."""
    return _notify(packs.publish_due(now=now))


def expire_due_versions(now: datetime | None = None) -> list[LiveChange]:
    """Expire the published pack versions whose ``expires_at`` has come; tell the reps in scope."""
    return _notify(packs.expire_due(now=now))


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: Callable[[], object]
    every_s: int
    description: str


JOBS: tuple[JobSpec, ...] = (
    JobSpec("packs.publish_due", publish_due_versions, 60, "Publish scheduled content pack versions"),
    JobSpec("packs.expire_due", expire_due_versions, 60, "Expire content pack versions past expires_at"),
)
JOBS_BY_ID = {job.id: job for job in JOBS}


def run_job(app, job_id: str):
    """Run one job in an application context; a failure is logged and rolled back, the scheduler goes on."""
    with app.app_context():
        try:
            return JOBS_BY_ID[job_id].func()
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", job_id)
            return None
        finally:
            db.session.remove()


def build_scheduler(app, scheduler_class=None):
    """A scheduler holding every job of ``JOBS`` under its stable id (re-adding replaces, never duplicates).

    ``scheduler_class`` defaults to APScheduler's ``BlockingScheduler``; every job first runs at start-up.
    """
    from apscheduler.schedulers.blocking import BlockingScheduler

    interval = app.config.get("SCHEDULER_INTERVAL_S")
    scheduler = (scheduler_class or BlockingScheduler)(
        timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300})
    for job in JOBS:
        scheduler.add_job(run_job, "interval", seconds=interval or job.every_s, args=(app, job.id), id=job.id,
                          name=job.description, replace_existing=True, next_run_time=datetime.now(UTC))
    return scheduler
