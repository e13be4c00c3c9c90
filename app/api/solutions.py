from app.api import bp, json_body, login_required
from app.schemas import load
from app.schemas.solutions import CompareIn, CompareOut
from app.services import solutions as solution_service


@bp.post("/solutions/compare")
@login_required
def compare_solutions():
    data = load(CompareIn(), json_body())
    return CompareOut().dump(solution_service.compare(**data))
