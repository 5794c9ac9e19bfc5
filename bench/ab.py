#!/usr/bin/env python3
"""Paired A/B timing of whole commands (start-up experiments, bench/RESULTS.md).

Each round runs every command once, in a random order, so that the host's speed changes hit
them alike; prints each command's median wall time and, for each command after the first, the
median of its per-round ratios to the first with a bootstrap 90% interval.

    python3 bench/ab.py ROUNDS 'command A' 'command B' [...]
"""
import random
import statistics
import subprocess
import sys
import time


def run(cmd: str) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t) * 1000


def main() -> None:
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    rounds, cmds = int(sys.argv[1]), sys.argv[2:]
    for c in cmds:  # warm-up: caches
        run(c)
    times: list[list[float]] = [[] for _ in cmds]
    for _ in range(rounds):
        order = list(range(len(cmds)))
        random.shuffle(order)
        for j in order:
            times[j].append(run(cmds[j]))
    for j, c in enumerate(cmds):
        line = f"{statistics.median(times[j]):7.1f} ms"
        if j > 0:
            r = [b / a for a, b in zip(times[0], times[j])]
            boots = sorted(statistics.median(random.choices(r, k=len(r))) for _ in range(1000))
            line += f"  ratio {statistics.median(r):.3f} [{boots[50]:.3f}, {boots[950]:.3f}]"
        print(f"{line}  {c}")


if __name__ == "__main__":
    main()
