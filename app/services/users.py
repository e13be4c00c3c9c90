"""Users and the team (issue 9, docs/team.md): who may see and change whom, creating users one by one or from
a CSV file, and the minimum password strength.

Admins manage everyone. A manager sees the people of the regions they are assigned to (``UserRegion``) and
changes their reps and guides: name, skill level, tags, grid, active, password, a limit up to their own —
never a role above guide or rep, never another manager. Every change bumps the ``users`` counter: a rep's
open /field connection re-reads their facts on their next fix (``app.realtime.field``), in every process.

Problems are codes + facts (``Problem``) rendered from ``locales/*.json`` (section ``team``): in English in
an API error's ``fields``, in the chosen language for ``flask users import``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from marshmallow import ValidationError, validate
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash

from app import i18n
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.models import ROLE_DISCOUNT_LIMITS_CNY, ROLES, SKILL_LEVELS, CounterType, Grid, Region, User, UserRegion
from app.services import audit, permissions, versions
from app.services.auth import hash_password, revoke_user_sessions
from app.services.line_problems import FileInvalid, LineProblem

USERS = "users"
TARGET = "user"
MIN_PASSWORD_LENGTH = 10
API_LOCALE = "en"
"""The language of an API error's ``fields`` (as marshmallow's own messages); the client renders codes."""

COMMON_PASSWORDS = frozenset({
    "123456789a", "1234567890", "12345678910", "0123456789", "1qaz2wsx3edc", "1q2w3e4r5t", "1q2w3e4r5t6y",
    "qwertyuiop", "qwerty12345", "qwerty123456", "asdfghjkl1", "zxcvbnm123", "password01", "password12",
    "password123", "password1234", "passw0rd12", "p@ssw0rd123", "iloveyou123", "woaini1314", "woaini520",
    "abc1234567", "abcd123456", "abcdefg123", "a123456789", "aa123456789", "admin12345", "admin123456",
    "administrator", "welcome123", "letmein123", "changeme123", "sunshine123", "football12", "baseball12",
    "dragon1234", "monkey12345", "shanghai123", "hangzhou123", "beijing123", "china12345", "battlemap1",
    "battlemap123", "demo-password1",
})
"""Passwords too often guessed first (compared lower-cased): a short list, as the issue asks for a minimum."""

CSV_COLUMNS = ("email", "name", "password", "role", "region", "grid", "skill_level", "tags", "active", "locale",
               "counter_type")
REQUIRED_COLUMNS = ("email", "name", "role")
TAG_SPLIT = re.compile(r"[|;]")
_TRUE = {"true", "1", "yes", "y", "是"}
_FALSE = {"false", "0", "no", "n", "否"}
_EMAIL = validate.Email()


def users_changed() -> None:
    """Record that users changed (facts, grid, active): open /field connections re-read them on the next fix."""
    versions.bump(USERS)


def users_version() -> int:
    """The ``users`` counter as this process last read it (at most ``STATE_POLL_S`` old; no query in between)."""
    return versions.cached(USERS, lambda version: version)


# ── errors and problems ──────────────────────────────────────────────────────────────────────

class UserNotFound(NotFound):
    code, message = "user_not_found", "This user was not found."


class UserExists(Conflict):
    code, message = "user_exists", "A user with this email already exists."


class WeakPassword(InvalidInput):
    code, message = "weak_password", "The password is too weak."

    def __init__(self, reasons: Sequence[str], locale: str = API_LOCALE):
        super().__init__(fields={"password": [_password_reason(r, locale) for r in reasons]})
        self.detail = {"reasons": list(reasons), "min_length": MIN_PASSWORD_LENGTH}


class Problem(LineProblem):
    """One thing wrong with a user's data (``line`` 0 = not from a file)."""

    MESSAGES, WHERE = "team.problems", "team.import"

    def text(self, locale: str = API_LOCALE) -> str:
        """The problem alone: ``未知的大区 beijing；可选：hangzhou、shanghai``."""
        if "reasons" not in self.facts:
            return super().text(locale)
        facts = {**self.facts, "reasons": [_password_reason(r, locale) for r in self.facts["reasons"]]}
        return i18n.message(f"{self.MESSAGES}.{self.code}", locale, facts)


class UsersInvalid(FileInvalid):
    """A users file breaks rules; nothing was written. ``problems`` say where and why."""

    code, message = "users_invalid", "The users file has errors; nothing was written."
    SUMMARY = "team.import.summary"


def _raise_invalid(problems: Sequence[Problem]) -> None:
    if problems:
        fields: dict[str, list[str]] = {}
        for p in problems:
            fields.setdefault(p.field or "_schema", []).append(p.text(API_LOCALE))
        raise InvalidInput(fields=fields)


def _password_reason(reason: str, locale: str) -> str:
    return i18n.message(f"team.password.{reason}", locale, {"min_length": MIN_PASSWORD_LENGTH})


# ── passwords ────────────────────────────────────────────────────────────────────────────────

def password_problems(password: str, email: str) -> list[str]:
    """Why ``password`` is too weak for the user with ``email`` (reason codes, in a fixed order; [] = strong
    enough): ``too_short`` (< 10 characters), ``one_class`` (only lower-case, only upper-case, only digits or
    only other characters), ``common`` (in ``COMMON_PASSWORDS``), ``contains_email`` (holds the email's part
    before the @, when that has 3 characters or more)."""
    reasons = []
    if len(password) < MIN_PASSWORD_LENGTH:
        reasons.append("too_short")
    classes = {"lower" if c.islower() else "upper" if c.isupper() else "digit" if c.isdigit() else "other"
               for c in password}
    if len(classes) <= 1:
        reasons.append("one_class")
    if password.lower() in COMMON_PASSWORDS:
        reasons.append("common")
    local = email.split("@", 1)[0].strip().lower()
    if len(local) >= 3 and local in password.lower():
        reasons.append("contains_email")
    return reasons


def check_password(password: str, email: str) -> None:
    """Raise ``WeakPassword`` (422 ``weak_password``, the reasons in ``fields.password`` and ``reasons``)."""
    reasons = password_problems(password, email)
    if reasons:
        raise WeakPassword(reasons)


# ── views ────────────────────────────────────────────────────────────────────────────────────

@dataclass(frozen=True)
class UserView:
    """A user with what the answer shows of them (``UserOut``): region and grid keys, leadership."""

    user: User
    is_grid_leader: bool

    @property
    def region(self) -> str | None:
        return self.user.region.key if self.user.region else None

    @property
    def grid(self) -> str | None:
        return self.user.grid.key if self.user.grid else None


def _views(users: Sequence[User]) -> list[UserView]:
    ids = [u.id for u in users]
    leaders = set(db.session.scalars(select(Grid.leader_id).where(Grid.leader_id.in_(ids)))) if ids else set()
    return [UserView(user=u, is_grid_leader=u.id in leaders) for u in users]


def view(user: User) -> UserView:
    return _views([user])[0]


def normalize_email(email: str) -> str:
    return email.strip().lower()


def clean_tags(tags: Iterable[str] | None) -> list[str]:
    """Trimmed, without empties and duplicates, in the order given."""
    out: list[str] = []
    for tag in tags or ():
        tag = tag.strip()
        if tag and tag not in out:
            out.append(tag)
    return out


# ── references (shared by the API and the import) ────────────────────────────────────────────

class _Refs:
    """Regions, grids and counter types, read once per request or file."""

    def __init__(self):
        self.regions = {r.key: r for r in db.session.scalars(select(Region))}
        self.grids = {g.key: g for g in db.session.scalars(select(Grid))}
        self.counter_types = set(db.session.scalars(select(CounterType.key)))

    def problems(self, *, role: str | None, region: str | None, grid: str | None, counter_type: str | None,
                 line: int = 0) -> list[Problem]:
        out = []
        if region is None:
            if role is not None and role != "admin":
                out.append(Problem(line, "region", "region_required"))
        elif region not in self.regions:
            out.append(Problem(line, "region", "unknown_region", {"value": region, "choices": sorted(self.regions)}))
        if grid is not None:
            found = self.grids.get(grid)
            if found is None:
                out.append(Problem(line, "grid", "unknown_grid", {"value": grid}))
            elif region in self.regions and found.region_id != self.regions[region].id:
                out.append(Problem(line, "grid", "grid_region", {"grid": grid, "region": region}))
            elif region is None:
                out.append(Problem(line, "grid", "grid_region", {"grid": grid, "region": "-"}))
        if counter_type is not None and counter_type not in self.counter_types:
            out.append(Problem(line, "counter_type", "unknown_counter_type",
                               {"value": counter_type, "choices": sorted(self.counter_types)}))
        return out


# ── reading ──────────────────────────────────────────────────────────────────────────────────

def _visible_query(actor: User):
    query = select(User).options(selectinload(User.region), selectinload(User.grid))
    regions = permissions.managed_region_ids(actor)
    if regions is None:
        return query
    assigned = select(UserRegion.user_id).where(UserRegion.region_id.in_(regions))
    return query.where(User.role != "admin", or_(User.id == actor.id, User.region_id.in_(regions),
                                                 and_(User.role == "manager", User.id.in_(assigned))))


def list_users(*, actor: User, region: str | None = None, grid: str | None = None, role: str | None = None,
               active: bool | None = None, q: str | None = None, limit: int = 500) -> list[UserView]:
    """The people ``actor`` may see (``permissions.can_see_user``), filtered, by region, role and name.

    Reps and guides: 403. A region the manager does not manage: 403; an unknown region or grid: 422.
    """
    permissions.require_manager(actor)
    query = _visible_query(actor)
    if region is not None:
        found = db.session.scalar(select(Region).where(Region.key == region))
        if found is None:
            raise InvalidInput(fields={"region": [Problem(0, "region", "unknown_region", {
                "value": region, "choices": sorted(db.session.scalars(select(Region.key)))}).text()]})
        permissions.require_manager_of(actor, found.id)
        query = query.where(User.region_id == found.id)
    if grid is not None:
        found_grid = db.session.scalar(select(Grid).where(Grid.key == grid))
        if found_grid is None:
            raise InvalidInput(fields={"grid": [Problem(0, "grid", "unknown_grid", {"value": grid}).text()]})
        permissions.require_manager_of(actor, found_grid.region_id)
        query = query.where(User.grid_id == found_grid.id)
    if role is not None:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active.is_(active))
    if q:
        pattern = "%" + q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(func.lower(User.name).like(pattern, escape="\\"),
                                func.lower(User.email).like(pattern, escape="\\")))
    rows = db.session.scalars(query.order_by(User.region_id, User.role, User.name, User.id).limit(limit)).all()
    return _views(rows)


def _visible(actor: User, user_id: int) -> User:
    permissions.require_manager(actor)
    user = db.session.get(User, user_id)
    if user is None:
        raise UserNotFound()
    if not permissions.can_see_user(actor, user):
        raise Forbidden("You may not see this user.")
    return user


def get_user(*, actor: User, user_id: int) -> UserView:
    """One user ``actor`` may see: 404 ``user_not_found``, 403 for someone outside their regions."""
    return view(_visible(actor, user_id))


# ── changing ─────────────────────────────────────────────────────────────────────────────────

def _limit_problems(actor: User | None, limit: int | None) -> list[Problem]:
    """A manager gives no one a larger limit than their own (nor "no limit" unless they have none)."""
    if actor is None or permissions.is_admin(actor) or actor.discount_limit_cny is None:
        return []
    if limit is None or limit > actor.discount_limit_cny:
        return [Problem(0, "discount_limit_cny", "limit_above_own", {"limit_cny": actor.discount_limit_cny})]
    return []


def create_user(*, actor: User, data: dict) -> UserView:
    """Create a user from a loaded ``UserCreateIn``; commits with a ``user.created`` audit entry.

    A manager creates reps and guides of their regions only (403); an admin anyone. Raises 422 for an unknown
    or missing region, a grid of another region, an unknown counter type, a limit above the manager's own, a
    weak password (``weak_password``); 409 ``user_exists`` for a taken email (any case).
    """
    permissions.require_manager(actor)
    role = data["role"]
    if not permissions.is_admin(actor) and role not in permissions.MANAGER_MANAGED_ROLES:
        raise Forbidden("A manager may create reps and guides only.")
    refs = _Refs()
    problems = refs.problems(role=role, region=data.get("region"), grid=data.get("grid"),
                             counter_type=data.get("counter_type"))
    region = refs.regions.get(data.get("region") or "")
    if region is not None:
        permissions.require_manager_of(actor, region.id)
    if "discount_limit_cny" in data:
        problems += _limit_problems(actor, data["discount_limit_cny"])
    _raise_invalid(problems)
    email = normalize_email(data["email"])
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise UserExists(fields={"email": ["A user with this email already exists."]})
    check_password(data["password"], email)
    user = _new_user(email=email, name=data["name"].strip(), password=data["password"], role=role, region=region,
                     grid=refs.grids.get(data.get("grid") or ""), skill_level=data.get("skill_level"),
                     tags=data.get("tags"), locale=data.get("locale") or "zh",
                     counter_type=data.get("counter_type"))
    if "discount_limit_cny" in data:
        user.discount_limit_cny = data["discount_limit_cny"]
    audit.record(actor=actor, action="user.created", target_type=TARGET, target_id=user.id,
                 region_id=user.region_id, detail={"email": email, "role": role, "grid": data.get("grid")})
    users_changed()
    db.session.commit()
    return view(user)


def _new_user(*, email: str, name: str, password: str, role: str, region: Region | None, grid: Grid | None,
              skill_level: str | None, tags, locale: str, counter_type: str | None,
              password_hash: str | None = None) -> User:
    user = User(email=email, name=name, password_hash=password_hash or hash_password(password), role=role,
                region_id=region.id if region else None, grid_id=grid.id if grid else None,
                skill_level=skill_level, tags=clean_tags(tags), locale=locale, counter_type=counter_type,
                discount_limit_cny=ROLE_DISCOUNT_LIMITS_CNY.get(role, 0), active=True)
    db.session.add(user)
    db.session.flush()
    if role == "manager" and region is not None:
        db.session.add(UserRegion(user_id=user.id, region_id=region.id))
    return user


def update_user(*, actor: User, user_id: int, data: dict) -> UserView:
    """Change a user with a loaded ``UserPatchIn``; commits with a ``user.updated`` entry naming the fields.

    A manager changes the reps and guides of their regions (403 otherwise), may switch them between rep and
    guide, move them to another of their regions, and set a limit up to their own. Nobody changes their own
    role or deactivates themselves (422). A region change drops a grid of the old region unless a grid is sent.
    A leader who leaves the grid's region, moves to another grid as a rep, or is deactivated stops leading it.
    """
    user = _visible(actor, user_id)
    if not permissions.can_manage_user(actor, user):
        raise Forbidden("You may change the reps and guides of your regions only.")
    admin = permissions.is_admin(actor)
    if "role" in data and data["role"] != user.role:
        if user.id == actor.id:
            raise InvalidInput(fields={"role": ["You cannot change your own role."]})
        if not admin and data["role"] not in permissions.MANAGER_MANAGED_ROLES:
            raise Forbidden("A manager may make someone a rep or a guide only.")
    if data.get("active") is False and user.id == actor.id:
        raise InvalidInput(fields={"active": ["You cannot deactivate yourself."]})
    refs = _Refs()
    role = data.get("role", user.role)
    region_key = data.get("region", user.region.key if user.region else None)
    grid_key = data.get("grid", user.grid.key if user.grid else None)
    new_region = refs.regions.get(region_key or "")
    if "region" in data and "grid" not in data and user.grid is not None \
            and (new_region is None or user.grid.region_id != new_region.id):
        grid_key = None  # moved to another region: the old region's grid stays behind
    problems = refs.problems(role=role, region=region_key, grid=grid_key,
                             counter_type=data.get("counter_type") if "counter_type" in data else None)
    if "region" in data and region_key in refs.regions:
        permissions.require_manager_of(actor, refs.regions[region_key].id)
    if "discount_limit_cny" in data:
        problems += _limit_problems(actor, data["discount_limit_cny"])
    _raise_invalid(problems)
    if "password" in data:
        check_password(data["password"], user.email)

    changed = sorted(k for k in data if k != "password")
    region = refs.regions.get(region_key or "")
    grid = refs.grids.get(grid_key or "")
    old_role, old_region_id, old_grid_id = user.role, user.region_id, user.grid_id
    if "name" in data:
        user.name = data["name"].strip()
    if "skill_level" in data:
        user.skill_level = data["skill_level"]
    if "tags" in data:
        user.tags = clean_tags(data["tags"])
    if "locale" in data:
        user.locale = data["locale"]
    if "counter_type" in data:
        user.counter_type = data["counter_type"]
    if "active" in data:
        user.active = data["active"]
    if "password" in data:
        user.password_hash = hash_password(data["password"])
    _end_sessions(user, password_changed="password" in data)
    user.role = role
    user.region_id = region.id if region else None
    user.grid_id = grid.id if grid else None
    if role != old_role and "discount_limit_cny" not in data:
        user.discount_limit_cny = ROLE_DISCOUNT_LIMITS_CNY.get(role, 0)
    if "discount_limit_cny" in data:
        user.discount_limit_cny = data["discount_limit_cny"]
    _keep_manager_regions(user, old_role=old_role, old_region_id=old_region_id)
    dropped = _drop_lost_leadership(user, actor=actor)
    if user.grid_id != old_grid_id and "grid" not in changed:
        changed.append("grid")
    audit.record(actor=actor, action="user.updated", target_type=TARGET, target_id=user.id,
                 region_id=user.region_id, detail={"fields": changed + (["password"] if "password" in data else []),
                                                   "no_longer_leads": dropped})
    users_changed()
    db.session.commit()
    return view(user)


def _end_sessions(user: User, *, password_changed: bool) -> None:
    """A new password or a deactivation ends every login of the user (docs/security.md): tokens issued before
    are refused at once, on HTTP and at /field connect."""
    if password_changed:
        revoke_user_sessions(user.id, "password_changed")
    elif not user.active:
        revoke_user_sessions(user.id, "deactivated")


def _keep_manager_regions(user: User, *, old_role: str, old_region_id: int | None) -> None:
    """A manager manages their region (``UserRegion``); one who stops being a manager manages nothing."""
    if user.role != "manager":
        if old_role == "manager":
            db.session.execute(delete(UserRegion).where(UserRegion.user_id == user.id))
        return
    if user.region_id is not None and db.session.get(UserRegion, (user.id, user.region_id)) is None:
        db.session.add(UserRegion(user_id=user.id, region_id=user.region_id))


def _drop_lost_leadership(user: User, *, actor: User | None) -> list[str]:
    """Grids ``user`` leads but may no longer lead: inactive, out of the grid's region, or a rep in another grid."""
    dropped = []
    db.session.flush()
    managed = permissions.managed_region_ids(user) if user.role == "manager" else set()
    for grid in db.session.scalars(select(Grid).where(Grid.leader_id == user.id)):
        if not user.active:
            lost = True
        elif user.role == "manager":
            lost = grid.region_id not in (managed or set()) and grid.region_id != user.region_id
        else:
            lost = user.role != "rep" or user.region_id != grid.region_id or user.grid_id != grid.id
        if lost:
            grid.leader_id = None
            dropped.append(grid.key)
            audit.record(actor=actor, action="grid.leader_cleared", target_type="grid", target_id=grid.id,
                         region_id=grid.region_id, detail={"grid": grid.key, "leader_id": user.id})
    return dropped


# ── import (flask users import) ──────────────────────────────────────────────────────────────

@dataclass
class ImportRow:
    """One valid line of a users file: the user to create (``existing`` None) or update."""

    line: int
    email: str
    values: dict
    existing: User | None = None


def read_csv(text: str) -> tuple[list[tuple[int, dict]], list[Problem]]:
    """A users CSV → ``(line, row)`` pairs (the line each row ends on; the header is line 1) and the problems
    of the file itself: unknown or missing columns, no rows."""
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in reader.fieldnames or []]
    problems = []
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if unknown:
        problems.append(Problem(0, "", "unknown_column", {"columns": unknown, "choices": list(CSV_COLUMNS)}))
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        problems.append(Problem(0, "", "missing_column", {"columns": missing}))
    rows = []
    try:
        for raw in reader:
            row = {str(k).strip(): (v or "").strip() for k, v in raw.items() if k is not None}
            if any(row.values()):
                rows.append((reader.line_num, row))
    except csv.Error as err:
        problems.append(Problem(reader.line_num, "", "unreadable", {"message": str(err)}))
    if not rows and not problems:
        problems.append(Problem(0, "", "empty"))
    return rows, problems


def _cell(row: dict, name: str) -> str | None:
    value = row.get(name)
    return value if value else None


def validate_import(rows: Sequence[tuple[int, dict]]) -> tuple[list[ImportRow], list[Problem]]:
    """Check every row of a users file against the rules and the database; nothing is written.

    A row whose email exists updates that user (the columns present set the fields; an empty ``password``
    keeps the old one, an empty ``grid`` or ``skill_level`` clears it); a new email needs a strong password.
    """
    refs = _Refs()
    existing = {normalize_email(u.email): u for u in db.session.scalars(
        select(User).where(func.lower(User.email).in_([normalize_email(r.get("email", "")) for _, r in rows])))}
    seen: dict[str, int] = {}
    valid, problems = [], []
    for line, row in rows:
        found: list[Problem] = []
        email = normalize_email(row.get("email", ""))
        values: dict = {}
        if not email:
            found.append(Problem(line, "email", "required"))
        else:
            try:
                _EMAIL(email)
            except ValidationError:
                found.append(Problem(line, "email", "email"))
            if email in seen:
                found.append(Problem(line, "email", "duplicate_email", {"email": email, "other": seen[email]}))
            else:
                seen[email] = line
        for name, maximum in (("name", 128),):
            value = _cell(row, name)
            if value is None:
                found.append(Problem(line, name, "required"))
            elif len(value) > maximum:
                found.append(Problem(line, name, "text", {"max": maximum}))
            else:
                values[name] = value
        role = _cell(row, "role")
        if role is None:
            found.append(Problem(line, "role", "required"))
        elif role not in ROLES:
            found.append(Problem(line, "role", "one_of", {"choices": list(ROLES)}))
        else:
            values["role"] = role
        for name, choices in (("skill_level", SKILL_LEVELS), ("locale", i18n.LOCALES)):
            if name in row:
                value = _cell(row, name)
                if value is not None and value not in choices:
                    found.append(Problem(line, name, "one_of", {"choices": list(choices)}))
                elif value is not None or name == "skill_level":
                    values[name] = value
        if "tags" in row:
            tags = clean_tags(TAG_SPLIT.split(row["tags"] or ""))
            if len(tags) > 20 or any(len(t) > 32 for t in tags):
                found.append(Problem(line, "tags", "tags", {"max": 20}))
            values["tags"] = tags
        if _cell(row, "active") is not None:
            flag = row["active"].lower()
            if flag not in _TRUE | _FALSE:
                found.append(Problem(line, "active", "boolean"))
            values["active"] = flag in _TRUE
        region, grid, counter = _cell(row, "region"), _cell(row, "grid"), _cell(row, "counter_type")
        found += refs.problems(role=values.get("role"), region=region, grid=grid, counter_type=counter, line=line)
        values.update(region=refs.regions.get(region or ""), grid=refs.grids.get(grid or ""))
        if "counter_type" in row:
            values["counter_type"] = counter
        password = row.get("password") or ""
        user = existing.get(email)
        if password:
            reasons = password_problems(password, email)
            if reasons:
                found.append(Problem(line, "password", "weak_password", {"reasons": reasons}))
            values["password"] = password
        elif user is None and email:
            found.append(Problem(line, "password", "password_required"))
        if found:
            problems.extend(found)
        else:
            valid.append(ImportRow(line=line, email=email, values=values, existing=user))
    return valid, problems


def import_users(rows: Sequence[tuple[int, dict]], *, locale: str = i18n.DEFAULT_LOCALE,
                 progress: Callable[[Iterable], Iterable] = lambda it: it) -> dict:
    """Create or update the users of a file, all or nothing; returns ``{"created", "updated", "unchanged"}``.

    Raises ``UsersInvalid`` (problems rendered in ``locale``) before writing anything when any line fails.
    Commits once, with one ``users.imported`` audit entry (actor: the CLI) and one bump of ``users``.
    """
    valid, problems = validate_import(rows)
    if problems:
        raise UsersInvalid(sorted(problems, key=lambda p: p.line), locale)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for row in progress(valid):
        values = row.values
        if row.existing is None:
            user = _new_user(email=row.email, name=values["name"], password=values["password"],
                             role=values["role"], region=values["region"], grid=values["grid"],
                             skill_level=values.get("skill_level"), tags=values.get("tags"),
                             locale=values.get("locale") or "zh", counter_type=values.get("counter_type"))
            user.active = values.get("active", True)
            counts["created"] += 1
        else:
            counts["updated" if _apply_import(row.existing, values) else "unchanged"] += 1
    audit.record(actor=None, action="users.imported", target_type=TARGET, target_id=None, region_id=None,
                 detail=counts)
    if counts["created"] or counts["updated"]:
        users_changed()
    db.session.commit()
    return counts


def _apply_import(user: User, values: dict) -> bool:
    """Set the file's values on an existing user; True when something changed."""
    old_role, old_region_id = user.role, user.region_id
    wanted = {"name": values["name"], "role": values["role"],
              "region_id": values["region"].id if values["region"] else None,
              "grid_id": values["grid"].id if values["grid"] else None}
    for name in ("skill_level", "tags", "locale", "counter_type", "active"):
        if name in values:
            wanted[name] = values[name]
    changed = False
    for name, value in wanted.items():
        if getattr(user, name) != value:
            setattr(user, name, value)
            changed = True
    if user.role != old_role:
        user.discount_limit_cny = ROLE_DISCOUNT_LIMITS_CNY.get(user.role, 0)
    password_changed = "password" in values and not check_password_hash(user.password_hash, values["password"])
    if password_changed:
        user.password_hash = hash_password(values["password"])
        changed = True
    _end_sessions(user, password_changed=password_changed)
    _keep_manager_regions(user, old_role=old_role, old_region_id=old_region_id)
    _drop_lost_leadership(user, actor=None)
    return changed
