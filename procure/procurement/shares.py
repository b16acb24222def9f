"""Exact NRC cost-share rules, computed from a plan (no solver involved).

These are the rules as a treaty would state them; the evaluator uses them to
compute every payment, and the MILP (``models/procurement.md`` (7)) must never
under-state them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from procure.schema.scenario import CostShare


def water_fill(
    keys: Sequence[float], caps: Sequence[float], floors: Sequence[float]
) -> list[float] | None:
    """Shares sigma_i = clamp(k_i * lam, f_i, c_i) with sum sigma_i = 1 (NATO-style capping).

    Shares are proportional to the keys, except that a share above its cap is cut
    to the cap and one below its floor raised to the floor, the difference spread
    over the others in proportion to their keys. ``lam`` is found exactly on the
    piecewise-linear, nondecreasing sum. Returns ``None`` when no split exists
    (caps sum below 1 or floors above 1, or no key is positive and the clamps do
    not reach 1).
    """
    n = len(keys)
    if n == 0:
        return None
    if sum(caps) < 1.0 - 1e-12 or sum(floors) > 1.0 + 1e-12:
        return None

    def total(lam: float) -> float:
        return sum(min(c, max(f, k * lam)) for k, c, f in zip(keys, caps, floors, strict=True))

    breaks = sorted({0.0} | {f / k for k, f in zip(keys, floors, strict=True) if k > 0}
                    | {c / k for k, c in zip(keys, caps, strict=True) if k > 0})
    lo = 0.0
    lam: float | None = None
    if total(lo) >= 1.0 - 1e-12:
        lam = lo
    else:
        for hi in breaks[1:]:
            t_lo, t_hi = total(lo), total(hi)
            if t_hi >= 1.0 - 1e-12:
                # linear on [lo, hi]
                lam = lo + (1.0 - t_lo) * (hi - lo) / (t_hi - t_lo) if t_hi > t_lo else hi
                break
            lo = hi
        if lam is None:
            return None
    assert lam is not None
    shares = [min(c, max(f, k * lam)) for k, c, f in zip(keys, caps, floors, strict=True)]
    s = sum(shares)
    return [x / s for x in shares] if abs(s - 1.0) < 1e-9 else shares


def nrc_shares(
    rule: CostShare,
    participants: Sequence[str],
    units: Mapping[str, float],
    gdp: Mapping[str, float],
) -> dict[str, float] | None:
    """Each participant's fraction of a launch's NRC under ``rule``.

    ``units``: units each participant buys in total (proportional rule);
    ``gdp``: the members' GDP (key ``gdp``). ``None`` when no valid split exists.
    """
    if not participants:
        return None
    if rule.rule == "proportional":
        total = sum(units[m] for m in participants)
        if total <= 0:
            return None
        return {m: units[m] / total for m in participants}
    if rule.rule == "equal":
        keys = [1.0] * len(participants)
    elif rule.key == "gdp":
        keys = [gdp[m] for m in participants]
    else:
        assert isinstance(rule.key, dict)
        keys = [rule.key.get(m, 0.0) for m in participants]
    caps = [rule.caps.get(m, 1.0) for m in participants]
    floors = [rule.floors.get(m, 0.0) for m in participants]
    shares = water_fill(keys, caps, floors)
    if shares is None:
        return None
    return dict(zip(participants, shares, strict=True))
