"""bench/telemetry.ts helper: kernels started with different environments (one with tracing
off, others with it on in various ways), driven in alternating blocks of `x=1` round trips from
this one client process.

usage: telemetry_driver.py WARMUP BLOCKS BLOCK_ROUNDS ARMS_JSON

ARMS_JSON maps each arm's name to {"kernel": kernelspec name, "env": variables added}. All the
kernels run at once (the idle ones wait on their sockets); each round runs a block on every
kernel in a random order, so a change of the host's speed (other processes on the two cores)
hits them alike and cancels in a round's ratios. The light Session client's rounds come first,
then BlockingKernelClient's (bench/kernel_driver.py says what each includes), each client
connected only during its own phase so that no idle client reads the other's traffic.
Each kernel first runs WARMUP round trips (two kernel processes alike differ by a few percent
after a short warm-up, less after a long one); BlockingKernelClient's phase warms up with 100.
Prints one JSON line: for each client, per round, each arm's block median and mean in µs.
"""
import json
import os
import random
import statistics
import sys
import time

import zmq
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

from kernel_driver import Light, wait_idle


class Kernel:
    """A kernel and the client of the phase (a light client or a BlockingKernelClient)."""

    def __init__(self, name, env):
        self.km = KernelManager(kernel_name=name)
        self.km.start_kernel(env=env)
        self.light = None
        self.kc = None

    def connect(self, client, ctx):
        if client == "light":
            self.light = Light(self.km.get_connection_info(), ctx)
            self.light.ready()
        else:
            self.kc = self.km.client()
            self.kc.start_channels()
            self.kc.wait_for_ready(timeout=60)

    def disconnect(self):
        if self.light:
            self.light.close()
            self.light = None
        if self.kc:
            self.kc.stop_channels()
            self.kc = None

    def light_round(self):
        return self.light.round_trip()

    def blocking_round(self):
        kc = self.kc
        t = time.perf_counter()
        mid = kc.execute("x=1")
        while kc.get_shell_msg(timeout=30)["parent_header"].get("msg_id") != mid:
            pass
        wait_idle(kc, mid)
        return (time.perf_counter() - t) * 1e6

    def block(self, client, rounds):
        run = self.light_round if client == "light" else self.blocking_round
        return [run() for _ in range(rounds)]

    def close(self):
        self.disconnect()
        self.km.shutdown_kernel(now=False)


def main():
    warmup, blocks, block_rounds = map(int, sys.argv[1:4])
    arms = json.loads(sys.argv[4])
    for arm in arms.values():
        KernelSpecManager().get_kernel_spec(arm["kernel"])
    ctx = zmq.Context()
    order = list(arms)
    random.shuffle(order)
    kernels = {w: Kernel(arms[w]["kernel"], dict(os.environ, **arms[w]["env"])) for w in order}
    out = {}
    for client in ("light", "blocking"):
        for k in kernels.values():
            k.connect(client, ctx)
            k.block(client, warmup if client == "light" else 100)
        out[client] = []
        for _ in range(blocks):
            random.shuffle(order)
            got = {w: kernels[w].block(client, block_rounds) for w in order}
            out[client].append({
                w: {"median": statistics.median(t), "mean": statistics.mean(t)}
                for w, t in got.items()
            })
        for k in kernels.values():
            k.disconnect()
    for k in kernels.values():
        k.close()
    ctx.term()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
