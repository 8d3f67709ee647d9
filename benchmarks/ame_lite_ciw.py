"""AME-lite in Ciw (a queueing-network library), a peer to compare amesim with.

Node 1 is assessment, node 2 the work arena, node 3 external placement. Ciw's clock
starts at 0, so its times are shifted by the warm-up to amesim's axis before the same
estimator as the other implementations is applied (see :mod:`benchmarks.ame_lite`).
"""

from __future__ import annotations

import math
import time

import ciw

from benchmarks.ame_lite import AmeLite, LiteResult, window_mean


def network(cfg: AmeLite) -> ciw.network.Network:
    k = cfg.scale
    return ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=cfg.rate), None, None],
        service_distributions=[
            ciw.dists.Exponential(rate=1.0 / cfg.assessment_mean_days),
            ciw.dists.Exponential(rate=1.0 / cfg.arena_mean_days),
            ciw.dists.Exponential(rate=1.0 / cfg.placement_mean_days),
        ],
        routing=[[0.0, cfg.arena_share, 1.0 - cfg.arena_share], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
        number_of_servers=[cfg.assessment_staff * k, cfg.arena_places * k, cfg.placement_places * k],
    )


def run_ciw(cfg: AmeLite, seed: int) -> LiteResult:
    """Run AME-lite once in Ciw; wall time covers building, running and the estimate."""
    t0 = time.perf_counter()
    ciw.seed(seed)
    sim = ciw.Simulation(network(cfg))
    sim.simulate_until_max_time(cfg.warmup_days + cfg.end)
    arrived: dict[int, float] = {}
    left: dict[int, float] = {}
    for r in sim.get_all_records():
        if r.node == 1:
            arrived[r.id_number] = r.arrival_date - cfg.warmup_days
        else:
            left[r.id_number] = r.exit_date - cfg.warmup_days
    # People still in assessment at the end have no record yet: they arrived too late
    # for the window anyway, and the estimator only counts those who have left.
    ids = sorted(arrived)
    mean, n = window_mean([arrived[i] for i in ids], [left.get(i, math.nan) for i in ids], cfg)
    return LiteResult(mean, n, time.perf_counter() - t0, sim.nodes[0].number_of_individuals)


if __name__ == "__main__":
    c = AmeLite()
    r = run_ciw(c, 1)
    print(f"Ciw: mean {r.mean_days:.2f} days (theory {c.theoretical_mean():.2f}), "
          f"n={r.n}, {r.wall_seconds:.3f} s")
