"""Discounts within authority, and approval requests above it (docs/discounts.md)."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, DiscountApproval, Region, User, UserRegion
from app.services import discounts
from app.services.auth import hash_password
from tests.conftest import DEMO_PASSWORD
from tests.test_auth import assert_error_shape

REP = "rep@demo.battlemap"  # limit ¥5,000, in 徐汇网格 (leader: rep3, grid limit ¥50,000)
LEADER = "rep3@demo.battlemap"  # a rep, leads 徐汇网格
PUDONG_REP = "rep4@demo.battlemap"  # in 浦东网格 (leader: manager2)
MANAGER = "manager@demo.battlemap"  # limit ¥50,000, manages shanghai (the first manager by id)
MANAGER2 = "manager2@demo.battlemap"  # manages shanghai too, leads 浦东网格
ADMIN = "admin@demo.battlemap"  # no limit
BODY = {"budget_min": 10_000, "budget_max": 500_000, "needs": ["超声", "便携"]}


def compare(client, auth, discount_cny=None, email=REP):
    body = BODY if discount_cny is None else {**BODY, "discount_cny": discount_cny}
    response = client.post("/api/v1/solutions/compare", json=body, headers=auth.headers(email))
    assert response.status_code == 200, response.get_json()
    return {o["key"]: o for o in response.get_json()["options"]}


def ask(client, auth, discount_cny, option="premium", email=REP, note="竞品报价更低"):
    return client.post("/api/v1/approvals", headers=auth.headers(email),
                       json={"request": {**BODY, "discount_cny": discount_cny}, "option": option, "note": note})


def add_manager(app, email, region_key="shanghai", limit=50_000):
    """A further manager (the demo has one); the approver stays the region's first manager by id."""
    with app.app_context():
        region = db.session.scalar(select(Region).where(Region.key == region_key))
        user = User(email=email, name=email.split("@")[0], role="manager", region_id=region.id,
                    password_hash=hash_password(DEMO_PASSWORD), discount_limit_cny=limit)
        db.session.add(user)
        db.session.flush()
        db.session.add(UserRegion(user_id=user.id, region_id=region.id))
        db.session.commit()


def user_id(app, email):
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


@pytest.fixture
def rep_without_grid(app):
    """The requester outside every grid: their requests go to the region's manager, as before grids."""
    with app.app_context():
        db.session.scalar(select(User).where(User.email == REP)).grid_id = None
        db.session.commit()


def audit_actions(app, approval_id):
    with app.app_context():
        return [(e.action, e.actor_id) for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.target_type == "discount_approval",
                                     AuditEntry.target_id == approval_id).order_by(AuditEntry.id))]


def test_the_demo_users_have_their_roles_limits(app):
    """Do the demo's reps, guides, managers and admins carry ¥5,000 / ¥500 / ¥50,000 / no limit?"""
    with app.app_context():
        limits = {u.role: u.discount_limit_cny for u in db.session.scalars(select(User))}
    assert limits == {"rep": 5_000, "guide": 500, "manager": 50_000, "admin": None}


def test_a_discount_within_authority_prices_every_option_and_needs_no_approval(client, auth):
    """Does a rep's ¥3,000 discount show list, discount and final price, within authority, nothing to approve?"""
    plain = compare(client, auth)
    options = compare(client, auth, 3_000)
    for key, option in options.items():
        assert option["total_price"] == plain[key]["total_price"] == sum(i["amount"] for i in option["cost_breakdown"])
        assert option["list_price"] == option["total_price"]
        assert option["discount_cny"] == 3_000
        assert option["final_price"] == option["total_price"] - 3_000
        assert option["discount_status"] == "within_authority"
    error = assert_error_shape(ask(client, auth, 3_000), 422, "within_authority")
    assert error["limit_cny"] == 5_000 and "request.discount_cny" in error["fields"]
    assert_error_shape(ask(client, auth, 5_000), 422, "within_authority")  # the limit itself is within
    with client.application.app_context():
        assert db.session.scalar(select(DiscountApproval.id)) is None


def test_no_discount_means_final_equals_list(client, auth):
    """Without discount_cny, is every option within authority at its list price (the issue 2 contract kept)?"""
    for option in compare(client, auth).values():
        assert (option["discount_cny"], option["final_price"], option["discount_status"]) == (
            0, option["total_price"], "within_authority")


def test_a_discount_is_never_more_than_the_list_price(client, auth):
    """Does a discount above an option's total take it to ¥0, not below?"""
    options = compare(client, auth, 10_000_000, email=ADMIN)
    for option in options.values():
        assert option["discount_cny"] == option["list_price"] and option["final_price"] == 0
        assert option["discount_status"] == "within_authority"  # an admin has no limit


def test_above_authority_needs_approval_and_the_request_goes_to_the_region_manager(client, auth, app, rep_without_grid):
    """Does a rep's ¥8,000 discount need approval, and POST create a pending request to the manager, audited?"""
    options = compare(client, auth, 8_000)
    assert {o["discount_status"] for o in options.values()} == {"needs_approval"}
    response = ask(client, auth, 8_000, option="standard")
    assert response.status_code == 201, response.get_json()
    approval = response.get_json()
    assert response.headers["Location"] == f"/api/v1/approvals/{approval['id']}"
    assert approval["status"] == "pending"
    assert approval["approver"]["id"] == user_id(app, MANAGER)
    assert approval["requested_by"]["id"] == user_id(app, REP)
    standard = options["standard"]
    assert (approval["amount_cny"], approval["list_price_cny"], approval["final_price_cny"]) == (
        8_000, standard["list_price"], standard["final_price"])
    assert approval["option"]["key"] == "standard"
    assert approval["option"]["cost_breakdown"] == standard["cost_breakdown"]
    assert approval["request"]["discount_cny"] == 8_000 and approval["note"] == "竞品报价更低"
    assert approval["decided_by"] is None and approval["decided_at"] is None
    assert audit_actions(app, approval["id"]) == [("discount.requested", user_id(app, REP))]


def test_the_approver_approves(client, auth, app, rep_without_grid):
    """Does the region manager's approval set the status, who decided and when, with an audit entry?"""
    approval_id = ask(client, auth, 8_000).get_json()["id"]
    response = client.post(f"/api/v1/approvals/{approval_id}/approve", json={"note": "同意"},
                           headers=auth.headers(MANAGER))
    assert response.status_code == 200, response.get_json()
    decided = response.get_json()
    assert decided["status"] == "approved" and decided["decision_note"] == "同意"
    assert decided["decided_by"]["id"] == user_id(app, MANAGER) and decided["decided_at"].endswith("Z")
    assert [a for a, _ in audit_actions(app, approval_id)] == ["discount.requested", "discount.approved"]
    log = client.get("/api/v1/audit", headers=auth.headers(MANAGER)).get_json()["items"]
    assert {(e["action"], e["target_id"]) for e in log} >= {("discount.requested", approval_id),
                                                           ("discount.approved", approval_id)}
    mine = client.get(f"/api/v1/approvals/{approval_id}", headers=auth.headers(REP))
    assert mine.status_code == 200 and mine.get_json()["status"] == "approved"


def test_the_approver_rejects(client, auth, app, rep_without_grid):
    """Does a rejection (no body needed) end the request, audited, so it cannot be approved afterwards?"""
    approval_id = ask(client, auth, 8_000).get_json()["id"]
    response = client.post(f"/api/v1/approvals/{approval_id}/reject", headers=auth.headers(MANAGER))
    assert response.status_code == 200 and response.get_json()["status"] == "rejected"
    assert audit_actions(app, approval_id)[-1] == ("discount.rejected", user_id(app, MANAGER))
    again = client.post(f"/api/v1/approvals/{approval_id}/approve", headers=auth.headers(MANAGER))
    assert assert_error_shape(again, 409, "invalid_transition")["status"] == "rejected"


@pytest.mark.parametrize("who", ["requester", "other_manager_same_region", "manager_of_another_region", "guide"])
def test_only_the_approver_or_an_admin_may_decide(client, auth, app, who):
    """Can the requester, another manager of the region, a manager elsewhere or a guide decide? No: 403."""
    add_manager(app, "second@demo.battlemap")
    add_manager(app, "hz@demo.battlemap", region_key="hangzhou")
    approval_id = ask(client, auth, 8_000).get_json()["id"]
    email = {"requester": REP, "other_manager_same_region": "second@demo.battlemap",
             "manager_of_another_region": "hz@demo.battlemap", "guide": "guide@demo.battlemap"}[who]
    for action in ("approve", "reject"):
        response = client.post(f"/api/v1/approvals/{approval_id}/{action}", headers=auth.headers(email))
        assert_error_shape(response, 403, "not_approver")
    with app.app_context():
        assert db.session.get(DiscountApproval, approval_id).status == "pending"
    assert [a for a, _ in audit_actions(app, approval_id)] == ["discount.requested"]


def test_approving_twice_is_a_conflict(client, auth, rep_without_grid):
    """Is a second approval of the same request refused with 409 invalid_transition?"""
    approval_id = ask(client, auth, 8_000).get_json()["id"]
    first = client.post(f"/api/v1/approvals/{approval_id}/approve", headers=auth.headers(MANAGER))
    assert first.status_code == 200
    second = client.post(f"/api/v1/approvals/{approval_id}/approve", headers=auth.headers(MANAGER))
    assert_error_shape(second, 409, "invalid_transition")


def test_above_the_approvers_own_limit_only_an_admin_may_approve(client, auth, app, rep_without_grid):
    """Is a ¥80,000 discount beyond the manager's ¥50,000 (403 over_authority), and can an admin approve it?"""
    approval_id = ask(client, auth, 80_000).get_json()["id"]
    refused = client.post(f"/api/v1/approvals/{approval_id}/approve", headers=auth.headers(MANAGER))
    error = assert_error_shape(refused, 403, "over_authority")
    assert (error["amount_cny"], error["limit_cny"]) == (80_000, 50_000)
    approved = client.post(f"/api/v1/approvals/{approval_id}/approve", headers=auth.headers(ADMIN))
    assert approved.status_code == 200 and approved.get_json()["decided_by"]["id"] == user_id(app, ADMIN)
    assert audit_actions(app, approval_id)[-1] == ("discount.approved", user_id(app, ADMIN))


def test_a_manager_above_their_own_limit_asks_the_other_manager_and_only_an_admin_may_approve(client, auth, app):
    """A manager asks beyond ¥50,000: is it addressed to the region's other manager, who may not approve it
    above their own limit, while the asker may not decide it and an admin may?"""
    response = ask(client, auth, 60_000, email=MANAGER)
    assert response.status_code == 201 and response.get_json()["approver"]["id"] == user_id(app, MANAGER2)
    approval_id = response.get_json()["id"]
    own = client.post(f"/api/v1/approvals/{approval_id}/approve", headers=auth.headers(MANAGER))
    assert_error_shape(own, 403, "not_approver")
    other = client.post(f"/api/v1/approvals/{approval_id}/approve", headers=auth.headers(MANAGER2))
    assert assert_error_shape(other, 403, "over_authority")["limit_cny"] == 50_000
    assert client.post(f"/api/v1/approvals/{approval_id}/approve", headers=auth.headers(ADMIN)).status_code == 200


def test_when_the_region_has_no_other_active_manager_only_admins_decide(client, auth, app):
    """With the second manager deactivated, is a manager's request addressed to admins (no approver)?"""
    patched = client.patch(f"/api/v1/users/{user_id(app, MANAGER2)}", json={"active": False},
                           headers=auth.headers(ADMIN))
    assert patched.status_code == 200, patched.get_json()
    response = ask(client, auth, 60_000, email=MANAGER)
    assert response.status_code == 201 and response.get_json()["approver"] is None
    listed = client.get("/api/v1/approvals?status=pending", headers=auth.headers(ADMIN)).get_json()["items"]
    assert response.get_json()["id"] in [a["id"] for a in listed]


# ── grid leaders (issue 9) ───────────────────────────────────────────────────────────────────

def test_a_grid_members_request_goes_to_the_grid_leader_who_approves_up_to_the_grid_limit(client, auth, app):
    """rep (徐汇网格) asks ¥8,000: is it addressed to the grid's leader rep3, who — a rep with ¥5,000 of their
    own — may approve it within the grid's ¥50,000, audited with the grid?"""
    response = ask(client, auth, 8_000)
    assert response.status_code == 201, response.get_json()
    approval = response.get_json()
    assert approval["approver"]["id"] == user_id(app, LEADER) and approval["approver"]["role"] == "rep"
    assert [a["id"] for a in client.get("/api/v1/approvals", headers=auth.headers(LEADER)).get_json()["items"]] \
        == [approval["id"]]
    assert_error_shape(client.post(f"/api/v1/approvals/{approval['id']}/approve", headers=auth.headers(MANAGER)),
                       403, "not_approver")
    decided = client.post(f"/api/v1/approvals/{approval['id']}/approve", json={"note": "组长同意"},
                          headers=auth.headers(LEADER))
    assert decided.status_code == 200, decided.get_json()
    assert decided.get_json()["decided_by"]["id"] == user_id(app, LEADER)
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "discount.approved")).one()
        assert entry.detail["grid"] == "sh-xuhui" and entry.actor_id == user_id(app, LEADER)


def test_above_the_grid_limit_the_request_goes_to_the_region_manager(client, auth, app):
    """Does ¥60,000 (above the grid's ¥50,000) skip the leader and go to the region's manager?"""
    approval = ask(client, auth, 60_000).get_json()
    assert approval["approver"]["id"] == user_id(app, MANAGER)
    assert_error_shape(client.post(f"/api/v1/approvals/{approval['id']}/approve", headers=auth.headers(LEADER)),
                       403, "not_approver")


def test_a_smaller_grid_limit_sends_larger_requests_to_the_manager(client, auth, app):
    """With the grid's limit set to ¥6,000, does ¥5,500 go to the leader and ¥8,000 to the manager?"""
    patched = client.patch("/api/v1/grids/sh-xuhui", json={"discount_limit_cny": 6_000},
                           headers=auth.headers(MANAGER))
    assert patched.status_code == 200, patched.get_json()
    assert ask(client, auth, 5_500).get_json()["approver"]["id"] == user_id(app, LEADER)
    assert ask(client, auth, 8_000).get_json()["approver"]["id"] == user_id(app, MANAGER)


def test_the_leaders_own_request_goes_to_the_manager(client, auth, app):
    """Does the leader's own ¥8,000 request go to the region's manager, never to themselves?"""
    assert ask(client, auth, 8_000, email=LEADER).get_json()["approver"]["id"] == user_id(app, MANAGER)


def test_a_manager_may_lead_a_grid(client, auth, app):
    """rep4 (浦东网格, led by manager2) asks ¥8,000: is it addressed to manager2, who approves it?"""
    approval = ask(client, auth, 8_000, email=PUDONG_REP).get_json()
    assert approval["approver"]["id"] == user_id(app, MANAGER2)
    response = client.post(f"/api/v1/approvals/{approval['id']}/approve", headers=auth.headers(MANAGER2))
    assert response.status_code == 200 and response.get_json()["status"] == "approved"


def test_a_leader_has_no_authority_outside_their_grid(app):
    """Is rep3's authority the grid's limit for their grid's people only, and their own limit for others?"""
    with app.app_context():
        people = {u.email: u for u in db.session.scalars(select(User))}
        assert discounts.authority_cny(people[LEADER], people[REP]) == 50_000
        assert discounts.authority_cny(people[LEADER], people[PUDONG_REP]) == 5_000
        assert discounts.authority_cny(people[LEADER], people[LEADER]) == 5_000
        assert discounts.authority_cny(people[ADMIN], people[REP]) is None


def test_an_inactive_leader_is_skipped(client, auth, app):
    """When the leader is deactivated, does a grid member's request go to the region's manager?"""
    client.patch(f"/api/v1/users/{user_id(app, LEADER)}", json={"active": False}, headers=auth.headers(MANAGER))
    assert ask(client, auth, 8_000).get_json()["approver"]["id"] == user_id(app, MANAGER)


def test_listing_filters_by_addressee_requester_and_status(client, auth, app, rep_without_grid):
    """Does the approver see what is addressed to them, the requester their own (mine), status filter, admin all?"""
    add_manager(app, "hz@demo.battlemap", region_key="hangzhou")
    first = ask(client, auth, 8_000).get_json()["id"]
    second = ask(client, auth, 9_000, option="standard").get_json()["id"]
    client.post(f"/api/v1/approvals/{first}/approve", headers=auth.headers(MANAGER))

    def ids(email, query=""):
        response = client.get(f"/api/v1/approvals{query}", headers=auth.headers(email))
        assert response.status_code == 200, response.get_json()
        return [a["id"] for a in response.get_json()["items"]]

    assert ids(MANAGER) == [second, first]  # newest first
    assert ids(MANAGER, "?status=pending") == [second]
    assert ids(MANAGER, "?status=approved") == [first]
    assert ids(REP) == []  # nothing is addressed to a rep
    assert ids(REP, "?mine=true") == [second, first]
    assert ids(REP, "?mine=true&status=approved") == [first]
    assert ids("rep2@demo.battlemap", "?mine=true") == []
    assert ids("hz@demo.battlemap") == []
    assert ids(ADMIN) == [second, first]
    other = client.get(f"/api/v1/approvals/{first}", headers=auth.headers("rep2@demo.battlemap"))
    assert_error_shape(other, 403, "not_approver")


@pytest.mark.parametrize(("body", "status", "code"), [
    (None, 400, "malformed_request"),
    ({"option": "premium"}, 400, "malformed_request"),
    ({"request": {**BODY, "discount_cny": 8_000}}, 400, "malformed_request"),
    ({"request": {**BODY, "discount_cny": "lots"}, "option": "premium"}, 400, "malformed_request"),
    ({"request": {**BODY, "discount_cny": -1}, "option": "premium"}, 422, "invalid_values"),
    ({"request": {**BODY, "discount_cny": 8_000}, "option": "luxury"}, 422, "invalid_values"),
    ({"request": {**BODY, "discount_cny": 8_000}, "option": "premium", "note": "x" * 2001}, 422, "invalid_values"),
])
def test_bad_approval_requests_answer_in_the_error_shape(client, auth, body, status, code):
    """Are a missing body, missing or wrong-typed fields and out-of-range values refused in the one shape?"""
    response = client.post("/api/v1/approvals", json=body, headers=auth.headers(REP))
    assert_error_shape(response, status, code)


def test_bad_compare_discounts_and_queries_answer_in_the_error_shape(client, auth):
    """Are a negative discount, an unknown status filter and an unknown approval refused in the one shape?"""
    negative = client.post("/api/v1/solutions/compare", json={**BODY, "discount_cny": -5},
                           headers=auth.headers(REP))
    assert "discount_cny" in assert_error_shape(negative, 422, "invalid_values")["fields"]
    assert_error_shape(client.get("/api/v1/approvals?status=maybe", headers=auth.headers(MANAGER)), 422,
                       "invalid_values")
    assert_error_shape(client.post("/api/v1/approvals/9999/approve", headers=auth.headers(MANAGER)), 404,
                       "approval_not_found")
    assert_error_shape(client.get("/api/v1/approvals", headers={}), 401)


def test_price_option_is_pure_and_caps_the_discount():
    """Does the pure pricing keep total_price, cap the discount at the list price and compare to the limit?"""
    option = {"key": "economy", "total_price": 1_000, "cost_breakdown": []}
    assert discounts.price_option(option, discount_cny=400, limit_cny=500) == {
        **option, "list_price": 1_000, "discount_cny": 400, "final_price": 600, "discount_status": "within_authority"}
    assert discounts.price_option(option, discount_cny=5_000, limit_cny=None)["final_price"] == 0
    assert discounts.price_option(option, discount_cny=500, limit_cny=500)["discount_status"] == "within_authority"
    assert discounts.price_option(option, discount_cny=501, limit_cny=500)["discount_status"] == "needs_approval"
    assert discounts.price_option(option, discount_cny=1, limit_cny=0)["discount_status"] == "needs_approval"
    assert option == {"key": "economy", "total_price": 1_000, "cost_breakdown": []}
