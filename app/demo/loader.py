"""Load the Shanghai demo (regions, zones, places with context, catalog, packs, users) into an empty database.

Procurement notices and competitor moves carry ``days_ago`` in the data files, so the demo is always
recent relative to the day it is loaded.
"""

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path

import yaml
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    CompetitorMove,
    Contact,
    CounterType,
    Place,
    PlaceCategory,
    ProcurementNotice,
    Region,
    ShopperType,
    User,
    UserRegion,
    Zone,
    ZoneType,
)
from app.schemas.rules import RuleIn
from app.services import catalog, discounts, geo_state
from app.services.auth import hash_password
from app.services.packs import import_pack, packs_changed
from app.services.rules import add_rule
from content_packs import load_all

DATA_DIR = Path(__file__).parent / "data"
DEMO_PASSWORD = "demo-password"
GUIDE_COUNTER = "ka_supermarket_counter"
DEMO_USERS = [
    # email, name, role, skill level, tags; discount limits per role: discounts.ROLE_LIMITS_CNY
    ("rep@demo.battlemap", "李明", "rep", "intermediate", ["医疗器械", "已交付POC"]),
    ("rep2@demo.battlemap", "张晓雯", "rep", "junior", ["医疗器械"]),
    ("rep3@demo.battlemap", "王建国", "rep", "senior", ["医疗器械", "已交付POC", "集采经验"]),
    ("rep4@demo.battlemap", "陈静", "rep", "junior", ["快消零售"]),
    ("rep5@demo.battlemap", "刘洋", "rep", "senior", ["快消零售", "KA谈判"]),
    ("guide@demo.battlemap", "赵敏", "guide", "intermediate", ["门店导购"]),  # at GUIDE_COUNTER
    ("manager@demo.battlemap", "周海峰", "manager", None, []),
    ("admin@demo.battlemap", "系统管理员", "admin", None, []),
]


def _read(name: str):
    with (DATA_DIR / name).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(Place))


def load_demo(*, today: date | None = None, progress: Callable[[Iterable], Iterable] = lambda it: it) -> dict:
    """Load every demo file; returns counts. ``progress`` wraps the long loops (the CLI passes a bar)."""
    today = today or date.today()
    regions = {}
    for row in _read("regions.yaml"):
        region = Region(key=row["key"], name=row["name"])
        db.session.add(region)
        regions[row["key"]] = region
    db.session.flush()

    zone_types = {}
    for row in _read("zone_types.yaml"):
        zt = ZoneType(key=row["key"], name_zh=row["name_zh"], name_en=row["name_en"],
                      description=row.get("description", ""), region_id=regions[row["region"]].id)
        db.session.add(zt)
        zone_types[(row["region"], row["key"])] = zt
    for row in _read("categories.yaml"):
        db.session.add(PlaceCategory(key=row["key"], name_zh=row["name_zh"], name_en=row["name_en"],
                                     default_radius_m=row.get("default_radius_m", 500)))
    db.session.flush()

    zones = _read("zones.yaml")
    for row in zones:
        db.session.add(Zone(key=row["key"], name=row["name"], region_id=regions[row["region"]].id,
                            zone_type_id=zone_types[(row["region"], row["zone_type"])].id,
                            shell=row["polygon"], holes=row.get("holes", [])))

    places = _read("places.yaml")
    default_region = next(iter(regions.values()))
    for row in progress(places):
        context = row.get("context") or {}
        place = Place(
            key=row["key"], name=row["name"], category=row["category"], lat=row["lat"], lon=row["lon"],
            radius_m=row.get("radius_m", 500), address=row.get("address", ""), tags=row.get("tags", []),
            stage=row.get("stage"), budget_cny=row.get("budget_cny"),
            region_id=regions.get(row.get("region"), default_region).id,
        )
        place.notices = [
            ProcurementNotice(title=n["title"], published_on=today - timedelta(days=n["days_ago"]),
                              amount_cny=n.get("amount_cny"), summary=n.get("summary", ""),
                              source=n.get("source", ""))
            for n in context.get("procurement_notices", [])
        ]
        place.contacts = [
            Contact(name=c["name"], role=c["role"], background=c.get("background", ""),
                    consent=bool(c.get("consent")), phone_masked=c.get("phone_masked"))
            for c in context.get("contacts", [])
        ]
        place.competitor_moves = [
            CompetitorMove(competitor=m["competitor"], move=m["move"],
                           observed_on=today - timedelta(days=m.get("days_ago", 0)))
            for m in context.get("competitor_moves", [])
        ]
        db.session.add(place)

    for row in _read("counter_types.yaml"):
        db.session.add(CounterType(key=row["key"], name_zh=row["name_zh"], name_en=row["name_en"]))
    for row in _read("shopper_types.yaml"):
        db.session.add(ShopperType(key=row["key"], name_zh=row["name_zh"], name_en=row["name_en"],
                                   description=row.get("description", "")))
    db.session.flush()
    rows, problems = catalog.read_yaml((DATA_DIR / "products.yaml").read_text(encoding="utf-8"))
    if problems:
        raise catalog.CatalogInvalid(problems)
    products = catalog.import_rows(rows)["created"]

    packs = load_all()
    for body in packs:
        import_pack(body, publish=True)

    for email, name, role, skill, tags in DEMO_USERS:
        user = User(email=email, name=name, role=role, skill_level=skill, tags=tags,
                    password_hash=hash_password(DEMO_PASSWORD), region_id=regions["shanghai"].id,
                    counter_type=GUIDE_COUNTER if role == "guide" else None,
                    discount_limit_cny=discounts.ROLE_LIMITS_CNY[role])
        db.session.add(user)
        if role == "manager":
            db.session.flush()
            db.session.add(UserRegion(user_id=user.id, region_id=regions["shanghai"].id))
    db.session.flush()
    manager = db.session.scalar(select(User).where(User.role == "manager"))
    rules = _read("rules.yaml")
    for row in rules:
        add_rule(user=manager, data=RuleIn().load(row))
    geo_state.bump_version()
    catalog.catalog_changed()
    packs_changed()
    db.session.commit()
    return {"places": len(places), "zones": len(zones), "products": products, "packs": len(packs),
            "trigger rules": len(rules), "users": len(DEMO_USERS)}
