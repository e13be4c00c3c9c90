"""SQLAlchemy models: columns, relationships and small invariants. Logic lives in ``app.services``."""

from datetime import UTC, date, datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

ROLES = ("rep", "guide", "manager", "admin")
SKILL_LEVELS = ("junior", "intermediate", "senior")
STAGES = ("prospecting", "discovery", "proposal", "negotiation", "closing", "after_sales")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


ROLE_DISCOUNT_LIMITS_CNY: dict[str, int | None] = {"rep": 5_000, "guide": 500, "manager": 50_000, "admin": None}
"""A new user's discount limit by role (docs/discounts.md); ``None`` = no limit, an unknown role gets 0."""


def _role_discount_limit(context) -> int | None:
    # fires when no limit (or None) is given on insert: the role decides, so None never lifts a rep's limit
    return ROLE_DISCOUNT_LIMITS_CNY.get(context.get_current_parameters()["role"], 0)


class Region(db.Model):
    __tablename__ = "regions"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    second_review: Mapped[bool] = mapped_column(
        default=False, doc="a pack version is published only after a different manager or admin approved it")
    health_settings: Mapped[dict] = mapped_column(
        JSON, default=dict, doc="process-health thresholds and coaching links per indicator (docs/learning.md)")
    duty_schedule: Mapped[dict | None] = mapped_column(
        JSON, doc="the reps' default duty schedule {days, start, end} (docs/privacy.md); NULL = DUTY_DEFAULT")


class Grid(db.Model):
    """A grid unit (网格作战单元) of a region: owns its places, reps and packs; its leader has bounded authority.

    ``leader_id`` is a rep or a manager of the region; ``discount_limit_cny`` is the largest single-deal
    discount the leader may approve for the grid's people (the seeds' ¥50,000).
    """

    __tablename__ = "grids"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True, name="fk_grids_leader_id"))
    discount_limit_cny: Mapped[int] = mapped_column(default=50_000)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    region: Mapped[Region] = relationship()


class User(db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    skill_level: Mapped[str | None] = mapped_column(String(16))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    tags: Mapped[list] = mapped_column(JSON, default=list)
    locale: Mapped[str] = mapped_column(String(8), default="zh")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    counter_type: Mapped[str | None] = mapped_column(ForeignKey("counter_types.key"),
                                                     doc="a guide's counter (CounterType.key)")
    discount_limit_cny: Mapped[int | None] = mapped_column(
        default=_role_discount_limit,
        doc="the largest discount on one deal this user may give alone (CNY); NULL = no limit")

    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True, doc="an inactive user cannot log in or connect")
    duty_schedule: Mapped[dict | None] = mapped_column(
        JSON, doc="this rep's own duty schedule (set by a manager); NULL = the region's (docs/privacy.md)")
    location_on: Mapped[bool] = mapped_column(
        default=True, doc="the rep's switch in the app: off, no fix is accepted or stored")

    region: Mapped[Region | None] = relationship()
    grid: Mapped[Grid | None] = relationship(foreign_keys=[grid_id])


class ZoneType(db.Model):
    __tablename__ = "zone_types"
    __table_args__ = (UniqueConstraint("region_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))


class Zone(db.Model):
    __tablename__ = "zones"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    zone_type_id: Mapped[int] = mapped_column(ForeignKey("zone_types.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    # WGS-84 rings as [[lon, lat], ...]
    shell: Mapped[list] = mapped_column(JSON)
    holes: Mapped[list] = mapped_column(JSON, default=list)

    zone_type: Mapped[ZoneType] = relationship()


class PlaceCategory(db.Model):
    __tablename__ = "place_categories"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    default_radius_m: Mapped[float] = mapped_column(default=500.0)


class Place(db.Model):
    __tablename__ = "places"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(ForeignKey("place_categories.key"))
    lat: Mapped[float]
    lon: Mapped[float]
    radius_m: Mapped[float] = mapped_column(default=500.0)
    address: Mapped[str] = mapped_column(String(300), default="")
    tags: Mapped[list] = mapped_column(JSON, default=list)
    stage: Mapped[str | None] = mapped_column(String(32))
    budget_cny: Mapped[int | None]
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), index=True)

    notices: Mapped[list["ProcurementNotice"]] = relationship(
        back_populates="place", order_by="desc(ProcurementNotice.published_on)", cascade="all, delete-orphan"
    )
    contacts: Mapped[list["Contact"]] = relationship(back_populates="place", cascade="all, delete-orphan")
    competitor_moves: Mapped[list["CompetitorMove"]] = relationship(
        back_populates="place", order_by="desc(CompetitorMove.observed_on)", cascade="all, delete-orphan"
    )


class ProcurementNotice(db.Model):
    __tablename__ = "procurement_notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    published_on: Mapped[date]
    amount_cny: Mapped[int | None]
    summary: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(128), default="")

    place: Mapped[Place] = relationship(back_populates="notices")


class Contact(db.Model):
    """A key contact at a place. ``background`` and ``phone_masked`` are personal data: shown only under a current
    ``ContactConsent`` for the card's purpose (docs/privacy.md). ``consent`` is the import's flag, read once
    into a consent record; it decides nothing."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(128))
    background: Mapped[str] = mapped_column(Text, default="")
    consent: Mapped[bool] = mapped_column(default=False)
    phone_masked: Mapped[str | None] = mapped_column(String(32))

    place: Mapped[Place] = relationship(back_populates="contacts")
    consents: Mapped[list["ContactConsent"]] = relationship(cascade="all, delete-orphan",
                                                            order_by="ContactConsent.id")


class ContactConsent(db.Model):
    """One consent change of a key contact for one purpose (docs/privacy.md): the newest per purpose is current.

    ``recorded_by_id`` is the user who recorded it; NULL with ``channel`` ``contact_page`` when the contact did it
    themselves on their own page."""

    __tablename__ = "contact_consents"
    __table_args__ = (Index("ix_contact_consents_contact_purpose", "contact_id", "purpose", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    purpose: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class CompetitorMove(db.Model):
    __tablename__ = "competitor_moves"
    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    competitor: Mapped[str] = mapped_column(String(128))
    move: Mapped[str] = mapped_column(Text)
    observed_on: Mapped[date]

    place: Mapped[Place] = relationship(back_populates="competitor_moves")


class ContentPack(db.Model):
    __tablename__ = "content_packs"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), index=True,
                                                doc="a grid's own pack: shown to that grid's reps only")

    versions: Mapped[list["PackVersion"]] = relationship(back_populates="pack", order_by="PackVersion.number")
    published_version: Mapped["PackVersion | None"] = relationship(
        primaryjoin="and_(ContentPack.id == PackVersion.pack_id, PackVersion.status == 'published')",
        viewonly=True,
        uselist=False,
    )


PACK_STATUSES = ("draft", "in_review", "published", "superseded", "expired", "rejected")


class PackVersion(db.Model):
    """An immutable snapshot of a pack's body (the validated YAML as JSON); only its lifecycle fields change.

    At most one version of a pack has ``status == "published"``; that is the one reps see.
    """

    __tablename__ = "pack_versions"
    __table_args__ = (UniqueConstraint("pack_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("content_packs.id"), index=True)
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    body: Mapped[dict] = mapped_column(JSON)
    based_on: Mapped[int | None] = mapped_column(doc="the version number this one was edited from")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), doc="the second pair of eyes: a manager or admin other than the author")
    approved_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    publish_at: Mapped[datetime | None] = mapped_column(index=True, doc="scheduled publishing (UTC)")
    expires_at: Mapped[datetime | None] = mapped_column(index=True, doc="scheduled expiry (UTC)")

    pack: Mapped[ContentPack] = relationship(back_populates="versions")


class ReviewComment(db.Model):
    """A reviewer's comment on a version under review, on one component (``component_id``) or the whole."""

    __tablename__ = "review_comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("pack_versions.id"), index=True)
    component_id: Mapped[str | None] = mapped_column(String(100), doc="None: about the version as a whole")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped["User | None"] = relationship()


class UserRegion(db.Model):
    """Regions a manager is assigned to (a manager may manage several)."""

    __tablename__ = "user_regions"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)


class AuditEntry(db.Model):
    """Who changed what, when, and from which version."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(48))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int | None]
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    from_version: Mapped[int | None]
    to_version: Mapped[int | None]
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class TriggerRule(db.Model):
    """When (event) + conditions (place, zone type, rep, time) → which pack components, in what order."""

    __tablename__ = "trigger_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(32))
    conditions: Mapped[dict] = mapped_column(JSON, default=dict)
    show: Mapped[list] = mapped_column(JSON, default=list)
    priority: Mapped[int] = mapped_column(default=100)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


PRODUCT_KINDS = ("device", "accessory", "consumable", "software", "service")
PRODUCT_TIERS = ("economy", "standard", "premium")
PRODUCT_CHANNELS = ("b2b", "retail")
PROMISE_KINDS = ("warranty", "response", "onsite", "uptime", "training", "delivery", "other")


class Product(db.Model):
    """One catalog item (SKU). The fields map one to one onto the solver's ``Product`` (see docs/catalog.md).

    ``category`` is the product line (medical | retail | home_health) used to browse the catalog; ``channel``
    says who sells it: ``b2b`` (a rep to a client site) or ``retail`` (a guide at a store counter).
    ``promises`` are the service promises attached to this item, each saying what it covers, so two items'
    warranties never read as one flattened list: ``{"covers", "kind", "value", "unit", "text"}``.
    """

    __tablename__ = "products"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32), doc="product line: medical | retail | home_health")
    channel: Mapped[str] = mapped_column(String(16), default="b2b", index=True)
    tier: Mapped[str] = mapped_column(String(16))
    price_cny: Mapped[int]
    delivery_days: Mapped[int]
    needs: Mapped[list] = mapped_column(JSON, default=list)
    fits_categories: Mapped[list] = mapped_column(JSON, default=list, doc="place category keys; [] = any")
    counter_types: Mapped[list] = mapped_column(JSON, default=list, doc="counter type keys; [] = any counter")
    promises: Mapped[list] = mapped_column(JSON, default=list)
    requires_any: Mapped[list] = mapped_column(JSON, default=list, doc="chosen only with one of these SKUs")
    excludes: Mapped[list] = mapped_column(JSON, default=list, doc="never in one option with these SKUs")
    slot: Mapped[str | None] = mapped_column(String(64), doc="one main item per slot in an option")
    max_qty: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def service_commitments(self) -> list[str]:
        """The promises as the sentences older code (and the compare contract) lists."""
        return [p["text"] for p in self.promises or ()]


class CounterType(db.Model):
    """A kind of store counter a guide works at (KA商超专柜, 连锁药房…); data, like ``ZoneType``."""

    __tablename__ = "counter_types"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))


class ShopperType(db.Model):
    """A kind of shopper at the counter (子女为父母选购, 慢病自用…) that talk-tracks can target."""

    __tablename__ = "shopper_types"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")


class ComparisonShare(db.Model):
    """A read-only snapshot of one comparison, shown to a shopper at ``/s/<token>`` without login.

    ``snapshot`` holds no personal data (no guide's name, id or talk-track why); ``created_by_id`` stays on
    the row, never in the snapshot.
    """

    __tablename__ = "comparison_shares"
    token: Mapped[str] = mapped_column(String(32), primary_key=True, doc="secrets.token_urlsafe(16)")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    snapshot: Mapped[dict] = mapped_column(JSON)


class Popup(db.Model):
    """Every popup pushed to a rep: which components were shown (by id), the A/B variants and why.

    Compact on purpose (ids, not texts: the texts live in the pack version), so a busy region's history stays
    small; what the rep saw is the pack version's components with these ids.
    """

    __tablename__ = "popups"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    pack_version_id: Mapped[int | None] = mapped_column(ForeignKey("pack_versions.id"))
    event: Mapped[str] = mapped_column(String(32), default="enter_place")
    distance_m: Mapped[float | None]
    shown: Mapped[dict] = mapped_column(JSON, doc="component kind → ids shown, in order; notice ids")
    variants: Mapped[dict] = mapped_column(JSON, default=dict, doc="talk-track id → A/B variant shown")
    why: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class RepFenceState(db.Model):
    """A rep's fence state saved when their connection closes, so a reconnect to any process carries on."""

    __tablename__ = "rep_fence_states"
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    last_fix_ts: Mapped[int | None] = mapped_column(BigInteger)
    state: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RepFix(db.Model):
    """One accepted or dropped location fix of a rep on duty, kept for the console's replay ("why no card at
    10:05?") for ``FIX_RETENTION_DAYS`` and then reduced to ``VisitRecord`` rows (docs/privacy.md). ``ts`` is
    the phone's fix time (ms since epoch)."""

    __tablename__ = "rep_fixes"
    __table_args__ = (Index("ix_rep_fixes_rep_ts", "rep_id", "ts"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ts: Mapped[int] = mapped_column(BigInteger)
    lat: Mapped[float]
    lon: Mapped[float]
    accuracy_m: Mapped[float | None]
    crs: Mapped[str] = mapped_column(String(8), default="wgs84")
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class VisitRecord(db.Model):
    """What is left of a rep's raw fixes after ``FIX_RETENTION_DAYS``: per day and place, the first fix inside
    the place's fence and the last (docs/privacy.md)."""

    __tablename__ = "visit_records"
    __table_args__ = (UniqueConstraint("rep_id", "day", "place_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    day: Mapped[date]
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    first_enter_at: Mapped[datetime]
    last_exit_at: Mapped[datetime]
    fixes: Mapped[int] = mapped_column(default=0)


class StateVersion(db.Model):
    """Change counters that every process polls to know when to rebuild a cache.

    ``geo``: places or zones changed (rebuild the geo index). ``content``: published packs or trigger rules
    changed (recompile the scenario engine).
    """

    __tablename__ = "state_versions"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)


class Event(db.Model):
    """One thing a user did in the field, sent from the PWA's outbox with a client-made id.

    The primary key *is* the client id, so the database itself stores each id once: the events service
    inserts with ``ON CONFLICT DO NOTHING`` and a replayed outbox never doubles a row.
    """

    __tablename__ = "events"
    __table_args__ = (
        # "has this rep had this card offline lately?" — one lookup per fence entry (app.services.events)
        Index("ix_events_user_place_type_at", "user_id", "place_id", "type", "at"),
        # "my events, newest first"
        Index("ix_events_user_received", "user_id", "received_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, doc="the client's UUID")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    type: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(doc="when it happened on the phone (UTC)")
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"))
    popup_id: Mapped[str | None] = mapped_column(String(36))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, doc="when the server stored it (UTC)")


class BundleManifest(db.Model):
    """For one bundle version handed to a rep: item key → short content hash, per section.

    ``GET /sync/bundle?since=<version>`` compares it with the current items to send only what changed.
    """

    __tablename__ = "bundle_manifests"
    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    hashes: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


APPROVAL_STATUSES = ("pending", "approved", "rejected")


class DiscountApproval(db.Model):
    """A request to give a discount above the requester's own limit, addressed to a manager of their region.

    ``option`` and ``request`` are snapshots (the option as priced when asked: key, name, cost_breakdown,
    total_price; the compare input incl. ``discount_cny``), so a later catalog change never rewrites what was
    approved. ``approver_id`` is None when the region has no other manager: then only an admin may decide.
    """

    __tablename__ = "discount_approvals"
    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    amount_cny: Mapped[int] = mapped_column(doc="the discount asked for (CNY)")
    list_price_cny: Mapped[int]
    final_price_cny: Mapped[int]
    option: Mapped[dict] = mapped_column(JSON)
    request: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="", doc="the requester's reason")
    decision_note: Mapped[str] = mapped_column(Text, default="", doc="the decider's note")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    approver: Mapped[User | None] = relationship(foreign_keys=[approver_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


EXPERIMENT_STATUSES = ("running", "winner", "no_difference")
EXPERIMENT_METRICS = ("advanced_or_won", "won", "used_or_helpful")


class Experiment(db.Model):
    """A talk-track with A/B variants in a pack, judged on what followed its popups (docs/experiments.md).

    One row per (pack, talk-track): created when its variants are first seen in a published version. The
    design (``metric``, ``window_days``, ``alpha``, ``min_exposures``) is the manager's; ``stats`` is the last
    judgement's numbers. Once decided (``status`` winner / no_difference, ``decided_at``) it stays decided;
    a winner's promotion is the draft version ``promoted_version_id``.
    """

    __tablename__ = "experiments"
    __table_args__ = (UniqueConstraint("pack_id", "talk_track_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("content_packs.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    talk_track_id: Mapped[str] = mapped_column(String(100))
    pack_version: Mapped[int] = mapped_column(doc="the version number the variants were first seen in")
    variants: Mapped[list] = mapped_column(JSON, default=list, doc="variant ids, in the pack's order")
    metric: Mapped[str] = mapped_column(String(32), default="advanced_or_won")
    window_days: Mapped[int] = mapped_column(default=14)
    alpha: Mapped[float] = mapped_column(default=0.05)
    min_exposures: Mapped[int] = mapped_column(default=100)
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    winner: Mapped[str | None] = mapped_column(String(100))
    stats: Mapped[dict] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    judged_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    promoted_version_id: Mapped[int | None] = mapped_column(ForeignKey("pack_versions.id"))

    pack: Mapped[ContentPack] = relationship()


class OnboardingItem(db.Model):
    """One entry of a region's onboarding collection (新人必修): a pack component with where it came from."""

    __tablename__ = "onboarding_items"
    __table_args__ = (UniqueConstraint("region_id", "pack_id", "component_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("content_packs.id"))
    kind: Mapped[str] = mapped_column(String(32), default="talk_tracks")
    component_id: Mapped[str] = mapped_column(String(100))
    variant: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    source: Mapped[dict] = mapped_column(JSON, default=dict, doc='e.g. {"experiment": id, "rate": …, "vs": …}')
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CoachingAlert(db.Model):
    """An indicator below its threshold for a rep's last three visits or deals: the card pushed, the alert
    to their manager, and why (``indicator``, the three ``values``, ``threshold``)."""

    __tablename__ = "coaching_alerts"
    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    indicator: Mapped[str] = mapped_column(String(48))
    values: Mapped[list] = mapped_column(JSON, default=list)
    threshold: Mapped[float]
    component: Mapped[str | None] = mapped_column(String(300), doc="<pack>/<kind>/<id> pushed to the rep")
    evidence: Mapped[dict] = mapped_column(JSON, default=dict, doc=(
        'the streak: {"unit", "start", "run": [unit keys], "units": [{"key", "at", "value", "event_ids", …}]}; '
        "``start``/``run`` make sure one streak is alerted once (learning.health.streak)"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    acknowledged_at: Mapped[datetime | None]


class RegionWarning(db.Model):
    """A regional early warning (deals across a region lengthening a stage or gaining steps), with evidence."""

    __tablename__ = "region_warnings"
    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(48))
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Digest(db.Model):
    """The weekly digest of a region for its managers: what was used, what won, who needs coaching."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("region_id", "week_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    week_start: Mapped[date]
    body: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(doc="when the webhook accepted it; None: not sent")


class AuthSession(db.Model):
    """One login (docs/security.md): its access and refresh tokens name it, so ending it (logout, a password
    change, a deactivation, a reused refresh token) ends both at once. ``refresh_gen`` counts rotations: only the
    newest refresh token (or the one before it, for ``REFRESH_GRACE_S``) is accepted."""

    __tablename__ = "auth_sessions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, doc="random; the tokens' sid")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow, doc="the last rotation (or the login)")
    expires_at: Mapped[datetime] = mapped_column(doc="idle limit: the refresh token's expiry")
    refresh_gen: Mapped[int] = mapped_column(default=0)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(32), doc="logout | password_changed | "
                                                                          "deactivated | refresh_reused")


class LoginFailure(db.Model):
    """Failed logins in a row for one email (known or not, so a lockout says nothing about who has an account)."""

    __tablename__ = "login_failures"
    email: Mapped[str] = mapped_column(String(254), primary_key=True, doc="lower-cased as typed")
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    locked_until: Mapped[datetime | None]
