"""Grids (网格作战单元, issue 9, docs/team.md): units of a region that own places and people, with a leader.

A grid's leader is a rep of the grid's region (who then belongs to the grid) or a manager of that region; the
leader approves the discounts of the grid's people up to ``Grid.discount_limit_cny`` (``app.services.discounts``).
Managers manage the grids of their regions, admins every grid; each change is audited (target ``grid``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update

from app.errors import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.models import Grid, Place, Region, User
from app.services import audit, permissions
from app.services.users import users_changed

TARGET = "grid"


class GridNotFound(NotFound):
    code, message = "grid_not_found", "This grid was not found."


class GridExists(Conflict):
    code, message = "grid_exists", "A grid with this key already exists."


@dataclass(frozen=True)
class GridView:
    """A grid with what the answer shows of it (``GridOut``)."""

    grid: Grid
    region: str
    leader_name: str | None
    rep_count: int
    place_count: int
    place_keys: list[str] | None = None


def _views(grids: list[Grid], *, with_places: bool = False) -> list[GridView]:
    ids = [g.id for g in grids]
    if not ids:
        return []
    reps = dict(db.session.execute(
        select(User.grid_id, func.count()).where(User.grid_id.in_(ids), User.role.in_(("rep", "guide")),
                                                 User.active.is_(True)).group_by(User.grid_id)).all())
    places = dict(db.session.execute(
        select(Place.grid_id, func.count()).where(Place.grid_id.in_(ids)).group_by(Place.grid_id)).all())
    leaders = dict(db.session.execute(
        select(User.id, User.name).where(User.id.in_({g.leader_id for g in grids if g.leader_id}))).all())
    regions = dict(db.session.execute(select(Region.id, Region.key)).all())
    keys: dict[int, list[str]] = {}
    if with_places:
        for grid_id, key in db.session.execute(
                select(Place.grid_id, Place.key).where(Place.grid_id.in_(ids)).order_by(Place.key)):
            keys.setdefault(grid_id, []).append(key)
    return [GridView(grid=g, region=regions[g.region_id], leader_name=leaders.get(g.leader_id),
                     rep_count=reps.get(g.id, 0), place_count=places.get(g.id, 0),
                     place_keys=keys.get(g.id, []) if with_places else None) for g in grids]


def _find(key: str) -> Grid:
    grid = db.session.scalar(select(Grid).where(Grid.key == key))
    if grid is None:
        raise GridNotFound()
    return grid


def list_grids(*, actor: User, region: str | None = None) -> list[GridView]:
    """The grids of the regions ``actor`` manages (an admin: all), by region and name; 403 for reps and
    guides, 403 for a region they do not manage, 422 for an unknown region."""
    permissions.require_manager(actor)
    query = select(Grid).order_by(Grid.region_id, Grid.name, Grid.id)
    regions = permissions.managed_region_ids(actor)
    if regions is not None:
        query = query.where(Grid.region_id.in_(regions))
    if region is not None:
        found = _region(region)
        permissions.require_manager_of(actor, found.id)
        query = query.where(Grid.region_id == found.id)
    return _views(list(db.session.scalars(query)))


def get_grid(*, actor: User, key: str) -> GridView:
    """One grid with its place keys: 404 ``grid_not_found``, 403 outside the actor's regions."""
    permissions.require_manager(actor)
    grid = _find(key)
    permissions.require_manager_of(actor, grid.region_id)
    return _views([grid], with_places=True)[0]


def _region(key: str) -> Region:
    region = db.session.scalar(select(Region).where(Region.key == key))
    if region is None:
        choices = ", ".join(sorted(db.session.scalars(select(Region.key))))
        raise InvalidInput(fields={"region": [f"Unknown region '{key}'; one of: {choices}."]})
    return region


def _check_limit(actor: User, limit: int) -> None:
    if not permissions.is_admin(actor) and actor.discount_limit_cny is not None and limit > actor.discount_limit_cny:
        raise InvalidInput(fields={"discount_limit_cny": [
            f"At most your own limit, ¥{actor.discount_limit_cny:,}."]})


def _leader(grid: Grid, leader_id: int | None) -> User | None:
    """The user who may lead ``grid``: active, a rep of its region in this grid or in none, or a manager of it."""
    if leader_id is None:
        return None
    user = db.session.get(User, leader_id)
    problem = None
    if user is None or not user.active:
        problem = "No active user with this id."
    elif user.role == "rep":
        if user.region_id != grid.region_id:
            problem = "A rep leader must belong to the grid's region."
        elif user.grid_id not in (None, grid.id):
            problem = "This rep belongs to another grid; move them first."
    elif user.role == "manager":
        if not permissions.can_manage(user, grid.region_id):
            problem = "A manager leader must manage the grid's region."
    else:
        problem = "A grid leader is a rep or a manager."
    if problem:
        raise InvalidInput(fields={"leader": [problem]})
    return user


def _set_leader(grid: Grid, leader: User | None) -> None:
    grid.leader_id = leader.id if leader else None
    if leader is not None and leader.role == "rep" and leader.grid_id is None:
        db.session.flush()  # the grid has its id
        leader.grid_id = grid.id


def _places(grid: Grid, keys: list[str]) -> list[Place]:
    """The places with these keys, all of the grid's region (422 naming the unknown or foreign ones)."""
    wanted = list(dict.fromkeys(keys))
    places = list(db.session.scalars(select(Place).where(Place.key.in_(wanted)))) if wanted else []
    found = {p.key for p in places}
    problems = []
    unknown = [k for k in wanted if k not in found]
    if unknown:
        problems.append(f"Unknown places: {', '.join(unknown[:20])}.")
    foreign = sorted(p.key for p in places if p.region_id != grid.region_id)
    if foreign:
        problems.append(f"Not of the grid's region: {', '.join(foreign[:20])}.")
    if problems:
        raise InvalidInput(fields={"place_keys": problems})
    return places


def create_grid(*, actor: User, data: dict) -> GridView:
    """Create a grid from a loaded ``GridCreateIn`` (manager of its region or admin); commits, audited.

    422: unknown region, a leader who may not lead it, places not of its region, a limit above a manager's
    own; 409 ``grid_exists``.
    """
    permissions.require_manager(actor)
    region = _region(data["region"])
    permissions.require_manager_of(actor, region.id)
    if db.session.scalar(select(Grid.id).where(Grid.key == data["key"])) is not None:
        raise GridExists(fields={"key": ["A grid with this key already exists."]})
    _check_limit(actor, data["discount_limit_cny"])
    grid = Grid(key=data["key"], name=data["name"].strip(), region_id=region.id,
                discount_limit_cny=data["discount_limit_cny"])
    leader = _leader(grid, data.get("leader"))
    places = _places(grid, data.get("place_keys") or [])
    db.session.add(grid)
    db.session.flush()
    _set_leader(grid, leader)
    for place in places:
        place.grid_id = grid.id
    audit.record(actor=actor, action="grid.created", target_type=TARGET, target_id=grid.id, region_id=region.id,
                 detail={"grid": grid.key, "leader_id": grid.leader_id, "places": len(places),
                         "discount_limit_cny": grid.discount_limit_cny})
    users_changed()
    db.session.commit()
    return _views([grid], with_places=True)[0]


def update_grid(*, actor: User, key: str, data: dict) -> GridView:
    """Change a grid with a loaded ``GridPatchIn``: name, leader (null: none), limit, and ``place_keys`` — the
    grid's places from then on (others leave it). Same rules as ``create_grid``; commits, audited."""
    permissions.require_manager(actor)
    grid = _find(key)
    permissions.require_manager_of(actor, grid.region_id)
    if "discount_limit_cny" in data:
        _check_limit(actor, data["discount_limit_cny"])
    leader = _leader(grid, data["leader"]) if "leader" in data else None
    places = _places(grid, data["place_keys"]) if "place_keys" in data else None
    if "name" in data:
        grid.name = data["name"].strip()
    if "discount_limit_cny" in data:
        grid.discount_limit_cny = data["discount_limit_cny"]
    if "leader" in data:
        _set_leader(grid, leader)
    if places is not None:
        ids = [p.id for p in places]
        db.session.execute(update(Place).where(Place.grid_id == grid.id, Place.id.not_in(ids)).values(grid_id=None))
        for place in places:
            place.grid_id = grid.id
    audit.record(actor=actor, action="grid.updated", target_type=TARGET, target_id=grid.id,
                 region_id=grid.region_id, detail={"grid": grid.key, "fields": sorted(data),
                                                   "leader_id": grid.leader_id})
    users_changed()
    db.session.commit()
    return _views([grid], with_places=True)[0]


def add_places(*, actor: User, key: str, place_keys: list[str]) -> GridView:
    """Put these places of the grid's region into the grid (out of any other grid); commits, audited."""
    permissions.require_manager(actor)
    grid = _find(key)
    permissions.require_manager_of(actor, grid.region_id)
    places = _places(grid, place_keys)
    for place in places:
        place.grid_id = grid.id
    audit.record(actor=actor, action="grid.places_added", target_type=TARGET, target_id=grid.id,
                 region_id=grid.region_id, detail={"grid": grid.key, "places": sorted(p.key for p in places)})
    db.session.commit()
    return _views([grid], with_places=True)[0]
