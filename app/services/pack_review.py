"""The second pair of eyes: who wrote a version, whether its region wants another manager's approval before it
goes live, and the reviewers' comments per component (docs/packs-api.md, "Review").

A region with ``second_review`` on publishes a version — now, or by its schedule — only once a manager or
admin of the region *other than its author* (who created or submitted it) approved it. Publishing or
scheduling by someone other than the author counts as that approval. The lifecycle (``pack_lifecycle``)
asks ``require_second_pair`` before each step that makes a version go live.
"""

from dataclasses import dataclass

from sqlalchemy import select

from app.errors import Forbidden, InvalidInput
from app.extensions import db
from app.models import PackVersion, Region, ReviewComment, User, utcnow
from app.services import audit, permissions
from app.services.pack_queries import get_version
from content_packs import COMPONENT_KINDS


class SecondReviewerRequired(Forbidden):
    """The version's author wants it live, but the region asks for another manager's approval first."""

    code = "second_reviewer_required"
    message = "A different manager or admin of the region must approve this version before it goes live."


@dataclass(frozen=True)
class ReviewState:
    """``required``: the region wants a second pair of eyes; ``approved``: someone other than the author
    approved; ``can_publish``: the caller may publish (or schedule) it now."""

    required: bool
    approved: bool
    can_publish: bool


def review_required(version: PackVersion) -> bool:
    """Does the version's region publish only after a second manager's approval?"""
    region_id = version.pack.region_id
    return region_id is not None and bool(db.session.scalar(select(Region.second_review)
                                                             .where(Region.id == region_id)))


def authors(version: PackVersion) -> set[int]:
    """Who wrote the version: the user who created it and the one who submitted it for review."""
    return {uid for uid in (version.created_by_id, version.submitted_by_id) if uid is not None}


def review_state(version: PackVersion, user: User) -> ReviewState:
    """The version's review, as ``user`` sees it."""
    required = review_required(version)
    approved = version.approved_by_id is not None
    may = permissions.is_admin(user) or (user.role == "manager"
                                         and permissions.can_manage(user, version.pack.region_id))
    can = may and version.status == "in_review" and (not required or approved or user.id not in authors(version))
    return ReviewState(required=required, approved=approved, can_publish=can)


def require_second_pair(version: PackVersion, user: User, *, via: str) -> None:
    """Before ``user`` makes ``version`` go live (``via``: publish or schedule): refuse the author of an
    unapproved version when its region wants a second pair of eyes; anyone else's step counts as their
    approval and is recorded (``approved_by``, audit ``version.approved``)."""
    if version.approved_by_id is not None:
        return
    if user.id in authors(version):
        if review_required(version):
            raise SecondReviewerRequired(
                f"You wrote or submitted version {version.number}: a different manager or admin of the region "
                "must approve it before it goes live.", fields={"approved_by": ["Not approved yet."]})
        return
    record_approval(version, user, via=via)


def describe(versions: list[PackVersion], user: User) -> list[dict]:
    """Versions as the API shows them: their fields, who created, submitted and approved each
    (``{"id", "name"}`` or None) and the review as ``user`` sees it (``VersionOut``)."""
    ids = {uid for v in versions for uid in (v.created_by_id, v.submitted_by_id, v.approved_by_id) if uid}
    people = {u.id: {"id": u.id, "name": u.name}
              for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return [{
        "pack_id": v.pack.key, "number": v.number, "status": v.status, "live": v.status == "published",
        "based_on": v.based_on, "note": v.note, "created_by_id": v.created_by_id,
        "created_by": people.get(v.created_by_id), "submitted_by": people.get(v.submitted_by_id),
        "approved_by": people.get(v.approved_by_id), "created_at": v.created_at, "submitted_at": v.submitted_at,
        "approved_at": v.approved_at, "published_at": v.published_at, "publish_at": v.publish_at,
        "expires_at": v.expires_at, "review": vars(review_state(v, user)), "body": v.body,
    } for v in versions]


def record_approval(version: PackVersion, user: User, *, via: str, note: str = "") -> None:
    """Set who approved the version and when, and audit it (no commit)."""
    version.approved_by_id = user.id
    version.approved_at = utcnow()
    audit.record_pack(version.pack, "version.approved", actor=user, to_version=version.number, via=via,
                      **({"note": note} if note else {}))


def component_ids(body: dict) -> set[str]:
    """Every component id of a pack body."""
    return {c["id"] for kind in COMPONENT_KINDS for c in body.get(kind) or ()}


def list_comments(*, user: User, key: str, number: int) -> list[ReviewComment]:
    """The version's review comments, oldest first."""
    version = get_version(user=user, key=key, number=number)
    return list(db.session.scalars(select(ReviewComment).where(ReviewComment.version_id == version.id)
                                   .order_by(ReviewComment.created_at, ReviewComment.id)))


def add_comment(*, user: User, key: str, number: int, body: str, component_id: str | None = None) -> ReviewComment:
    """A manager's comment on one component of the version (``component_id``) or on the version as a whole;
    422 on ``component_id`` when the version has no such component."""
    version = get_version(user=user, key=key, number=number)
    if component_id is not None and component_id not in component_ids(version.body):
        raise InvalidInput(f"Version {number} has no component '{component_id}'.",
                           fields={"component_id": [f"Not a component of version {number}."]})
    comment = ReviewComment(version_id=version.id, component_id=component_id, author_id=user.id, body=body)
    db.session.add(comment)
    db.session.flush()
    audit.record_pack(version.pack, "version.commented", actor=user, to_version=number, comment_id=comment.id,
                      component_id=component_id)
    db.session.commit()
    return comment
