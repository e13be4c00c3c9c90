"""Who may manage what: roles and regions.

Managers curate content (packs, trigger rules) for the regions they are assigned to (``UserRegion``);
admins may do everything; reps and guides manage nothing. Every check raises ``Forbidden`` (403) so the
HTTP and socket edges answer in the one error shape. Reused by the packs and the rules APIs.
"""

from sqlalchemy import select

from app.errors import Forbidden
from app.extensions import db
from app.models import Region, User, UserRegion

MANAGING_ROLES = ("manager", "admin")


def is_admin(user: User) -> bool:
    """True for admins, who may manage every region (and content that has no region)."""
    return user.role == "admin"


def require_manager(user: User) -> None:
    """Raise ``Forbidden`` unless the user is a manager or an admin."""
    if user.role not in MANAGING_ROLES:
        raise Forbidden("Only managers and admins may manage content.")


def managed_region_ids(user: User) -> set[int] | None:
    """The ids of the regions ``user`` manages; ``None`` means every region (an admin).

    Reps and guides manage none (an empty set).
    """
    if is_admin(user):
        return None
    if user.role != "manager":
        return set()
    return set(db.session.scalars(select(UserRegion.region_id).where(UserRegion.user_id == user.id)))


def can_manage(user: User, region_id: int | None) -> bool:
    """May ``user`` change content of ``region_id``? Content without a region belongs to admins only."""
    regions = managed_region_ids(user)
    if regions is None:
        return True
    return region_id is not None and region_id in regions


def require_manager_of(user: User, region_id: int | None) -> None:
    """Raise ``Forbidden`` unless ``user`` is an admin or a manager assigned to ``region_id``."""
    require_manager(user)
    if not can_manage(user, region_id):
        region = db.session.get(Region, region_id) if region_id is not None else None
        where = f"region '{region.key}'" if region else "content without a region"
        raise Forbidden(f"You do not manage {where}.")


# ── people (issue 9, docs/team.md) ───────────────────────────────────────────────────────────

MANAGER_MANAGED_ROLES = ("rep", "guide")
"""The roles a manager may create and edit in their regions; managers and admins are an admin's to change."""


def can_see_user(actor: User, user: User) -> bool:
    """May ``actor`` read ``user``'s profile? Admins: everyone. A manager: themselves, and the reps, guides and
    managers of their regions (the console picks grid leaders among them). Reps and guides: nobody here."""
    if is_admin(actor):
        return True
    if actor.role != "manager":
        return False
    if actor.id == user.id:
        return True
    if user.role == "admin":
        return False
    regions = managed_region_ids(actor) or set()
    if user.region_id in regions:
        return True
    return user.role == "manager" and bool(regions & managed_region_ids(user))


def can_manage_user(actor: User, user: User) -> bool:
    """May ``actor`` change ``user``? Admins: everyone. A manager: the reps and guides of their regions."""
    if is_admin(actor):
        return True
    return (actor.role == "manager" and user.role in MANAGER_MANAGED_ROLES
            and can_manage(actor, user.region_id))
