"""A grid's own pack (its template): reps of that grid get it before the region's, nobody else ever does; and
no situation is ever served another region's pack by the default choice (issue 9)."""

from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import ContentPack, Grid, User
from app.services.pack_queries import affected_reps
from app.services.scenarios import compose_popup, rep_facts
from content_packs.engine import PackData, PlaceFacts, RepFacts, ScenarioEngine, Situation, ZoneFacts
from tests.conftest import place_by_category
from tests.test_packs_api import small_pack

NOW = datetime(2026, 12, 1, 10, 0)


def _pack(key, region_id, grid_id=None, prefix=None):
    body = small_pack(key, prefix=prefix or key[:4])
    return PackData(key=key, name=key, version=1, version_id=1, body=body, region_id=region_id, grid_id=grid_id)


def _situation(region_id, grid_id=None):
    place = PlaceFacts(id=1, name="某医院", category="tier3_hospital", region_id=region_id)
    return Situation(event="enter_place", rep=RepFacts(id=1, role="rep", region_id=region_id, grid_id=grid_id),
                     now=NOW, place=place, zone=ZoneFacts(id=1, type="procurement_led", name="区"))


def test_the_default_choice_never_crosses_regions_and_a_grid_pack_is_for_its_grid():
    engine = ScenarioEngine([_pack("region-a", 1), _pack("region-b", 2), _pack("grid-a7", 1, grid_id=7)], [])
    assert engine.choose_pack(_situation(2)).key == "region-b"
    assert engine.choose_pack(_situation(1)).key == "region-a"  # no grid: the grid's pack is not theirs
    assert engine.choose_pack(_situation(1, grid_id=8)).key == "region-a"
    assert engine.choose_pack(_situation(1, grid_id=7)).key == "grid-a7"  # at equal fit, the grid's own wins
    only_other = ScenarioEngine([_pack("region-b", 2)], [])
    assert only_other.choose_pack(_situation(1)) is None


def test_a_pack_published_for_a_grid_reaches_that_grids_reps_only(app, client, auth):
    from tests.test_packs_api import reviewed_manager

    manager = reviewed_manager(app, client, auth)
    body = {**small_pack("xuhui-evening", prefix="xh"), "grid": "sh-xuhui"}
    created = manager.post("/packs", {"body": body})
    assert created.status_code == 201, created.get_json()
    manager.release(1, "xuhui-evening")
    with app.app_context():
        pack = db.session.scalar(select(ContentPack).where(ContentPack.key == "xuhui-evening"))
        grid = db.session.scalar(select(Grid).where(Grid.key == "sh-xuhui"))
        assert pack.grid_id == grid.id
        members = set(db.session.scalars(select(User.id).where(User.grid_id == grid.id, User.role == "rep")))
        assert members and set(affected_reps(pack.region_id, pack.published_version.body, grid_id=grid.id)) == members
        hospital = place_by_category(app, "tier3_hospital")
        inside = db.session.scalar(select(User).where(User.grid_id == grid.id, User.role == "rep"))
        outside = db.session.scalar(select(User).where(User.grid_id.is_not(grid.id), User.role == "rep",
                                                       User.region_id == pack.region_id))
        for rep, sees in ((inside, True), (outside, False)):
            popup = compose_popup(rep=rep_facts(rep), place_id=hospital.id, distance_m=None, now=NOW, record=False)
            got = popup["pack"]["id"] if popup["pack"] else None
            assert (got == "xuhui-evening") is sees, (rep.email, got)


def test_a_grid_of_another_region_or_none_at_all_is_refused(app, client, auth):
    from tests.test_packs_api import reviewed_manager

    manager = reviewed_manager(app, client, auth)
    with app.app_context():
        hangzhou_grid = db.session.scalar(select(Grid.key).where(Grid.region_id != db.session.scalar(
            select(Grid.region_id).where(Grid.key == "sh-xuhui"))))
    for grid in [g for g in (hangzhou_grid, "no-such-grid") if g]:
        body = {**small_pack("bad-grid", prefix="bg"), "grid": grid}
        response = manager.post("/packs", {"body": body})
        assert response.status_code == 422 and "body.grid" in response.get_json()["error"]["fields"]
