"""How much to measure: the full run uses the issue's sizes, ``--quick`` smaller ones."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """Repetitions, durations (seconds) and populations of one run."""

    name: str
    overhead_reps: int
    overhead_seconds: float
    throughput_reps: int
    throughput_seconds: float
    warmup_seconds: float
    scale_small: int
    scale_large: int
    scale_reps: int
    import_users: int
    import_reps: int
    local_reps: int
    local_seconds: float
    local_throughput_reps: int
    profile_seconds: float
    # (workers, threads, POOL_MAXSIZE) of the throughput site; the first gives the summary:
    # W = 4 keeps the ceiling W / L (80 logins/s) below what 2 cores shared with the load
    # generator, the emulator, PostgreSQL and Redis can serve; the others show that limit.
    throughput_configs: tuple[tuple[int, int, int], ...]


FULL = Plan(
    name="full",
    overhead_reps=7,
    overhead_seconds=5,
    throughput_reps=5,
    throughput_seconds=15,
    warmup_seconds=5,
    scale_small=1_000,
    scale_large=1_000_000,
    scale_reps=7,
    import_users=100_000,
    import_reps=3,
    local_reps=5,
    local_seconds=6,
    local_throughput_reps=3,
    profile_seconds=15,
    throughput_configs=((2, 2, 10), (2, 4, 10), (2, 8, 10), (1, 16, 10), (1, 16, 16)),
)

QUICK = Plan(
    name="quick",
    overhead_reps=3,
    overhead_seconds=3,
    throughput_reps=3,
    throughput_seconds=6,
    warmup_seconds=2,
    scale_small=1_000,
    scale_large=100_000,
    scale_reps=3,
    import_users=10_000,
    import_reps=1,
    local_reps=3,
    local_seconds=3,
    local_throughput_reps=1,
    profile_seconds=6,
    throughput_configs=((2, 2, 10), (2, 4, 10)),
)
