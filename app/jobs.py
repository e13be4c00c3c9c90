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
from app.services import pack_lifecycle, privacy
from app.services.pack_lifecycle import LiveChange

log = logging.getLogger(__name__)


def _notify(changes: list[LiveChange]) -> list[LiveChange]:
    for change in changes:
        notifier.push_pack_updated(change.rep_ids, change.pack_key, change.version)
    return changes


def publish_due_versions(now: datetime | None = None) -> list[LiveChange]:
    """Publish the in-review pack versions whose ``publish_at`` has come; tell the reps in scope."""
    return _notify(pack_lifecycle.publish_due(now=now))


def expire_due_versions(now: datetime | None = None) -> list[LiveChange]:
    """Expire the published pack versions whose ``expires_at`` has come; tell the reps in scope."""
    return _notify(pack_lifecycle.expire_due(now=now))


def purge_old_fixes(now: datetime | None = None) -> range:
    """Reduce stored location fixes older than ``FIX_RETENTION_DAYS`` to visit records (per rep, day and place:
    first enter, last exit) and drop the raw rows (docs/privacy.md).

    Returns one item per row deleted, as the other jobs return one per change (``scheduler run --once``
    prints the count)."""
    return range(privacy.reduce_old_fixes(now=now))


def judge_experiments(now: datetime | None = None) -> list:
    """Find new talk-track experiments and judge the running ones; a winner becomes a draft in review
    (docs/experiments.md). Daily: the sequential test stays honest however often it is read."""
    from app.services import experiments

    return experiments.judge_all(now=now)


def coach_reps(now: datetime | None = None) -> list:
    """The coaching rule for every rep (docs/learning.md); each new alert's card is pushed to its rep over
    /field (``coaching.card``, in the rep's language). Hourly: a streak is alerted once, however often."""
    from app.models import User
    from app.schemas.health import CoachingCardOut
    from app.services import health

    alerts = health.run_coaching(now=now)
    for alert in alerts:
        rep = db.session.get(User, alert.rep_id)
        notifier.push_coaching_card(alert.rep_id, CoachingCardOut().dump(health.card(alert, rep.locale)))
    return alerts


def detect_region_warnings(now: datetime | None = None) -> list:
    """Regional early warnings: stages lasting longer and steps appearing across a region's recent deals."""
    from app.services import health

    return health.detect_warnings(now=now)


def weekly_digests(now: datetime | None = None) -> list:
    """Each region's digest of the last complete week (made once), then the webhook for unsent ones. Runs
    hourly so a digest appears early on Monday and a failed webhook is retried within the hour."""
    from app.services import digests

    return digests.run(now=now)


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: Callable[[], object]
    every_s: int
    description: str


JOBS: tuple[JobSpec, ...] = (
    JobSpec("packs.publish_due", publish_due_versions, 60, "Publish scheduled content pack versions"),
    JobSpec("packs.expire_due", expire_due_versions, 60, "Expire content pack versions past expires_at"),
    JobSpec("geo.purge_fixes", purge_old_fixes, 3600, "Reduce location fixes past FIX_RETENTION_DAYS to visit records"),
    JobSpec("learning.judge_experiments", judge_experiments, 24 * 3600,
            "Judge talk-track experiments; promote winners into drafts for review"),
    JobSpec("learning.coach_reps", coach_reps, 3600,
            "Coaching rule: three misses in a row bring a coaching card and a manager alert"),
    JobSpec("learning.region_warnings", detect_region_warnings, 24 * 3600,
            "Regional early warnings: stages lasting longer, steps appearing"),
    JobSpec("learning.weekly_digests", weekly_digests, 3600,
            "Weekly digest per region (made once a week; the webhook retried until it answers 2xx)"),
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
