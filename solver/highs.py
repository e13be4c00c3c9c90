"""One small integer program solved by HiGHS (the solver behind ``scipy.optimize.milp``).

The model is ``min c·x  s.t.  row_lo <= A x <= row_hi,  col_lo <= x <= col_hi``, some columns integer.
We talk to scipy's bundled HiGHS binding directly (the ``milp`` wrapper adds ~0.8 ms of input checking per
call) through one reusable ``Highs`` object per thread; if that private binding is missing in a future
scipy, we fall back to the public :func:`scipy.optimize.milp`.

Options, measured on the benchmark's models (docs/solutions.md): HiGHS's feasibility-jump heuristic costs
~4 ms per MIP call whatever the size (it was the "fixed cost" of the MIP) and finds nothing the root LP
does not, so it is off; so are restarts and the other primal heuristics, which on our ≤ 150-column models
cost more than the branching they save. None of this changes what is optimal: ``mip_rel_gap`` is 0, so
HiGHS still proves optimality.
"""

from __future__ import annotations

import threading

import numpy as np

try:  # scipy's own HiGHS binding (private module, present in scipy >= 1.15)
    from scipy.optimize._highspy import _core as _h
except ImportError:  # pragma: no cover - exercised only on a scipy without the binding
    _h = None

INF = float("inf")

OPTIONS = {
    "output_flag": False,
    "mip_rel_gap": 0.0,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_allow_restart": False,
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_heuristic_run_shifting": False,
    "mip_heuristic_run_zi_round": False,
    "mip_detect_symmetry": False,
    # root cut loop and branching on the premium knapsacks (docs/solutions.md): a smaller cut pool,
    # cuts leave the LP as soon as they go slack, and no strong-branching warm-up per variable.
    # Search effort only — the optimum proved is the same.
    "mip_pool_soft_limit": 50,
    "mip_lp_age_limit": 1,
    "mip_pscost_minreliable": 0,
}

_local = threading.local()


def _highs():
    h = getattr(_local, "h", None)
    if h is None:
        h = _h._Highs()
        for k, v in OPTIONS.items():
            h.setOptionValue(k, v)
        _local.h = h
    return h


def _csc(a: np.ndarray):
    cols, rows = np.nonzero(a.T)  # column-major order
    start = np.zeros(a.shape[1] + 1, dtype=np.int32)
    np.add.at(start, cols + 1, 1)
    return np.cumsum(start).astype(np.int32), rows.astype(np.int32), a[rows, cols].astype(float)


def solve(c, a, row_lo, row_hi, col_lo, col_hi, integer) -> np.ndarray | None:
    """Optimal x (integer columns rounded) of the program above, or None when it is infeasible.

    ``a`` is a dense (rows × cols) array; ``integer`` a boolean mask of integer columns. Infinite bounds
    are ``±inf``.
    """
    c = np.asarray(c, dtype=float)
    integer = np.asarray(integer, dtype=bool)
    if _h is None:  # pragma: no cover
        return _solve_milp(c, a, row_lo, row_hi, col_lo, col_hi, integer)
    n, m = c.shape[0], a.shape[0]
    lp = _h.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = m
    lp.col_cost_ = c
    lp.col_lower_ = np.asarray(col_lo, dtype=float)
    lp.col_upper_ = np.asarray(col_hi, dtype=float)
    lp.row_lower_ = np.where(np.isinf(row_lo), -_h.kHighsInf, row_lo).astype(float)
    lp.row_upper_ = np.where(np.isinf(row_hi), _h.kHighsInf, row_hi).astype(float)
    start, index, value = _csc(a)
    lp.a_matrix_.format_ = _h.MatrixFormat.kColwise
    lp.a_matrix_.start_ = start
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    lp.integrality_ = [_h.HighsVarType.kInteger if i else _h.HighsVarType.kContinuous for i in integer]
    h = _highs()
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != _h.HighsModelStatus.kOptimal:
        return None
    x = np.asarray(h.getSolution().col_value)
    return np.where(integer, np.round(x), x)


def _solve_milp(c, a, row_lo, row_hi, col_lo, col_hi, integer):  # pragma: no cover
    from scipy.optimize import Bounds, LinearConstraint, milp

    res = milp(c, constraints=[LinearConstraint(a, row_lo, row_hi)], integrality=integer.astype(int),
               bounds=Bounds(col_lo, col_hi), options={"mip_rel_gap": 0.0})
    if res.status != 0 or res.x is None:
        return None
    return np.where(integer, np.round(res.x), res.x)
