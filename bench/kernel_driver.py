"""bench/kernel.ts helper: jupyter_client drives one kernelspec.

usage: kernel_driver.py KERNEL_NAME ROUNDS CLIENTS...
Prints one JSON line: start_ms (spawn → first kernel_info_reply), rtt median/p99 (µs) of
`x=1` (execute_reply + idle), and per client count the wall time of one print(1) each in
flight, with every client receiving every output.
"""
import json
import statistics
import sys
import threading
import time
from queue import Empty

from jupyter_client import BlockingKernelClient
from jupyter_client.manager import KernelManager


def wait_idle(kc, msg_id):
    while True:
        m = kc.get_iopub_msg(timeout=30)
        if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status" \
                and m["content"]["execution_state"] == "idle":
            return


def main():
    name, rounds, *clients = sys.argv[1:]
    rounds = int(rounds)
    km = KernelManager(kernel_name=name)
    t0 = time.perf_counter()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    # First kernel_info_reply (retrying while the kernel starts).
    while True:
        mid = kc.kernel_info()
        try:
            r = kc.get_shell_msg(timeout=0.05)
            if r["msg_type"] == "kernel_info_reply":
                break
        except Empty:
            pass
    start_ms = (time.perf_counter() - t0) * 1000
    kc.wait_for_ready(timeout=30)
    # Round trips.
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        mid = kc.execute("x=1")
        while kc.get_shell_msg(timeout=30)["parent_header"].get("msg_id") != mid:
            pass
        wait_idle(kc, mid)
        samples.append((time.perf_counter() - t) * 1e6)
    samples.sort()
    out = {
        "kernel": name,
        "start_ms": start_ms,
        "rtt_median_us": statistics.median(samples),
        "rtt_p99_us": samples[int(len(samples) * 0.99) - 1],
    }
    cf = km.connection_file
    for n in map(int, clients):
        cs = []
        for _ in range(n):
            c = BlockingKernelClient(connection_file=cf)
            c.load_connection_file()
            c.start_channels()
            c.wait_for_ready(timeout=30)
            cs.append(c)
        seen = [0] * n
        barrier = threading.Barrier(n + 1)

        def work(i):
            c = cs[i]
            barrier.wait()
            c.execute("print(1)")
            while seen[i] < n:
                try:
                    m = c.get_iopub_msg(timeout=30)
                except Empty:
                    return
                if m["msg_type"] == "stream":
                    seen[i] += m["content"]["text"].count("1")

        ts = [threading.Thread(target=work, args=(i,)) for i in range(n)]
        for t in ts:
            t.start()
        barrier.wait()
        t = time.perf_counter()
        for th in ts:
            th.join()
        el = time.perf_counter() - t
        out[f"clients_{n}_s"] = el
        out[f"clients_{n}_complete"] = sum(1 for s in seen if s >= n)
        for c in cs:
            c.stop_channels()
    kc.stop_channels()
    km.shutdown_kernel(now=False)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
