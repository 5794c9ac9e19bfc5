"""bench/kernel.ts helper: jupyter_client drives one kernelspec.

usage: kernel_driver.py KERNEL_NAME ROUNDS CLIENTS...
Prints one JSON line (times in ms, µs or s as the key says):

start_ms        KernelManager.start_kernel → first kernel_info_reply, jupyter_client as is
                (libzmq retries a refused connect after 100-200 ms, so this is quantised);
start_fast_ms   the same with the client's ZMQ_RECONNECT_IVL at 1 ms: when the kernel can
                answer, not when libzmq happens to retry;
first_exec_ms   start_fast_ms plus the reply to `x=1` sent right after that first
                kernel_info_reply (a kernel may still be starting its interpreter then);
rtt_*           `x=1` round trip (execute_reply + status idle) with BlockingKernelClient;
rtt_light_*     the same round trip through jupyter_client's Session (signing, and
                verification and parsing of every message right after each timed round)
                on plain pyzmq sockets, so the client's own asyncio/parsing cost (~0.9 ms
                of CPU per round with BlockingKernelClient) stays out of the figure;
cpu_light_*_us  the kernel process's CPU time per light round trip, by thread (from
                /proc/PID/task/*/schedstat, ns): "main" the thread that runs the kernel,
                "worker" threads Deno names after a Worker (the engine), "other" the rest
                (V8's compiler and GC threads, the runtime's I/O threads), "total" all;
clients_N_s     N BlockingKernelClients in this process (one thread each), one print(1)
                each in flight, until every client saw every stream output;
mp_clients_N_s  the same N clients spread over several processes on plain pyzmq sockets
                with jupyter_client's Session: during the timed part a client looks only
                at each message's topic frame, and parses only the parent and content
                JSON of stream messages; afterwards every stream message is verified (signature, stdout,
                text "1\n" per execution, N distinct executions per client, and those are
                the N that were sent);
mp_stream_clients_N_s  the same, the clients subscribed to stream topics only ("stream.",
                ipykernel's topic for output, which ours uses too): the kernels' PUB
                sockets filter the other IOPub messages out, a quarter of the messages
                reach the clients;
*_client_cpu_s  CPU seconds the client processes spent in the timed part (all of them).

Kernel discovery (jupyter_client imports ipykernel to find its kernelspec directory) is
done once before any clock starts: it is the driver's cost, not either kernel's.
"""
import json
import multiprocessing as mp
import os
import statistics
import sys
import threading
import time
from queue import Empty

import zmq
from jupyter_client import BlockingKernelClient
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from jupyter_client.session import Session

DELIM = b"<IDS|MSG>"


def wait_idle(kc, msg_id):
    while True:
        m = kc.get_iopub_msg(timeout=30)
        if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status" \
                and m["content"]["execution_state"] == "idle":
            return


def first_kernel_info(name, reconnect_ivl_ms):
    """Starts the kernel; ms from start_kernel to the first kernel_info_reply."""
    km = KernelManager(kernel_name=name)
    t0 = time.perf_counter()
    km.start_kernel()
    kc = km.client()
    if reconnect_ivl_ms is not None:
        kc.context.setsockopt(zmq.RECONNECT_IVL, reconnect_ivl_ms)
    kc.start_channels()
    while True:
        kc.kernel_info()
        try:
            r = kc.get_shell_msg(timeout=0.05)
            if r["msg_type"] == "kernel_info_reply":
                break
        except Empty:
            pass
    return (time.perf_counter() - t0) * 1000, km, kc


def kernel_pid(km):
    """The kernel's process: the one the kernelspec's argv started (a launcher that execs)."""
    return km.provisioner.process.pid


def session_of(info):
    return Session(key=info["key"].encode() if isinstance(info["key"], str) else info["key"],
                   signature_scheme=info.get("signature_scheme", "hmac-sha256"))


def url(info, ch):
    return f"{info['transport']}://{info['ip']}:{info[ch + '_port']}"


def split(frames):
    """(identities, [signature, header, parent, metadata, content, ...])"""
    i = frames.index(DELIM)
    return frames[:i], frames[i + 1:]


class Light:
    """A client on plain pyzmq sockets; jupyter_client's Session signs and verifies."""

    def __init__(self, info, ctx, streams_only=False):
        self.session = session_of(info)
        self.shell = ctx.socket(zmq.DEALER)
        self.shell.linger = 0
        self.shell.connect(url(info, "shell"))
        self.iopub = ctx.socket(zmq.SUB)
        self.iopub.linger = 0
        # Stream-only: "stream." (both kernels' stream topics) plus "kernel." (status and
        # the rest) until ready() has seen a status, so the subscription is known live.
        self.streams_only = streams_only
        for t in [b"stream.", b"kernel."] if streams_only else [b""]:
            self.iopub.setsockopt(zmq.SUBSCRIBE, t)
        self.iopub.connect(url(info, "iopub"))

    def ready(self):
        """Until a kernel_info reply came back and its status reached IOPub."""
        while True:
            mid = self.session.send(self.shell, "kernel_info_request", {})["header"]["msg_id"]
            if self.shell.poll(1000):
                self.shell.recv_multipart()
                while self.iopub.poll(200):
                    m = split(self.iopub.recv_multipart())[1]
                    if mid.encode() in m[2]:
                        if self.streams_only:
                            self.iopub.setsockopt(zmq.UNSUBSCRIBE, b"kernel.")
                        return

    def verify(self, frames):
        _, m = split(frames)
        return self.session.deserialize(m)

    def round_trip(self):
        """One `x=1` execute_request until its reply and its idle status; µs. Every message
        is verified after the clock: signatures, types, parents."""
        t = time.perf_counter()
        mid = self.session.send(self.shell, "execute_request", {
            "code": "x=1", "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True,
        })["header"]["msg_id"].encode()
        while True:
            reply = self.shell.recv_multipart()
            if mid in split(reply)[1][2]:
                break
        seen = []
        while True:
            f = self.iopub.recv_multipart()
            seen.append(f)
            m = split(f)[1]
            if mid in m[2] and b'"status"' in m[1] and b'"idle"' in m[4]:
                break
        dt = (time.perf_counter() - t) * 1e6
        rep = self.verify(reply)
        assert rep["msg_type"] == "execute_reply" and rep["content"]["status"] == "ok", rep
        assert rep["parent_header"]["msg_id"] == mid.decode()
        last = self.verify(seen[-1])
        assert last["msg_type"] == "status" and last["content"]["execution_state"] == "idle"
        assert last["parent_header"]["msg_id"] == mid.decode()
        for f in seen[:-1]:
            self.verify(f)
        return dt

    def close(self):
        self.shell.close()
        self.iopub.close()


def thread_cpu_ns(pid):
    """{tid: (name, ns of CPU)} of every thread of process `pid`."""
    out = {}
    base = f"/proc/{pid}/task"
    for tid in os.listdir(base):
        try:
            with open(f"{base}/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"{base}/{tid}/schedstat") as f:
                out[tid] = (name, int(f.read().split()[0]))
        except FileNotFoundError:
            pass  # the thread ended meanwhile
    return out


def thread_group(tid, name, pid):
    if tid == str(pid):
        return "main"
    return "worker" if name.startswith("worker") else "other"


def light_rtt(info, rounds, pid=None):
    """Sorted round trips (µs), and the kernel's CPU per round trip by thread (µs)."""
    ctx = zmq.Context()
    c = Light(info, ctx)
    c.ready()
    samples = []
    before = None
    for r in range(rounds + 100):
        if r == 100 and pid is not None:
            before = thread_cpu_ns(pid)
        dt = c.round_trip()
        if r >= 100:
            samples.append(dt)
    cpu = {}
    if before is not None:
        after = thread_cpu_ns(pid)
        cpu = {"main": 0.0, "worker": 0.0, "other": 0.0}
        for tid, (name, ns) in after.items():
            cpu[thread_group(tid, name, pid)] += (ns - before.get(tid, (name, 0))[1]) / 1e3 / rounds
        cpu["total"] = sum(cpu.values())
    c.close()
    ctx.term()
    samples.sort()
    return samples, cpu


def mp_worker(info, n_total, count, barrier, out, streams_only):
    """`count` light clients; one print(1) each after the barrier."""
    ctx = zmq.Context()
    cs = [Light(info, ctx, streams_only) for _ in range(count)]
    for c in cs:
        c.ready()
    poller = zmq.Poller()
    for c in cs:
        poller.register(c.iopub, zmq.POLLIN)
    by_sock = {c.iopub: i for i, c in enumerate(cs)}
    streams = [[] for _ in cs]
    texts = [{} for _ in cs]
    barrier.wait()
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    for c in cs:
        c.session.send(c.shell, "execute_request", {
            "code": "print(1)", "silent": False, "store_history": True,
            "user_expressions": {}, "allow_stdin": False, "stop_on_error": True,
        })
    pending = count
    deadline = time.monotonic() + 60
    while pending and time.monotonic() < deadline:
        for sock, _ in poller.poll(1000):
            i = by_sock[sock]
            while True:
                try:
                    f = sock.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                # Only the topic frame is looked at for most messages (both kernels
                # name stream messages' topics "...stream..."); of stream messages only
                # the parent and content JSON. Signatures and the rest are checked after
                # the clock stops.
                if b"stream" not in f[0]:
                    continue
                streams[i].append(f)
                m = split(f)[1]
                t = texts[i]
                parent = json.loads(m[2])["msg_id"]
                t[parent] = t.get(parent, "") + json.loads(m[4])["text"]
                if len(t) == n_total and all(v == "1\n" for v in t.values()):
                    pending -= 1
    t1 = time.perf_counter()
    cpu = time.process_time() - cpu0
    complete = 0
    parents = set()
    for i, c in enumerate(cs):
        mine = {}
        for f in streams[i]:
            m = c.verify(f)
            assert m["msg_type"] == "stream" and m["content"]["name"] == "stdout"
            p = m["parent_header"]["msg_id"]
            mine[p] = mine.get(p, "") + m["content"]["text"]
        complete += len(mine) == n_total and all(v == "1\n" for v in mine.values())
        parents |= set(mine)
    for c in cs:
        c.close()
    ctx.term()
    out.put({"t0": t0, "t1": t1, "cpu": cpu, "complete": complete, "parents": sorted(parents)})


def mp_clients(info, n, procs, streams_only=False):
    spawn = mp.get_context("spawn")
    sizes = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
    barrier = spawn.Barrier(procs)
    out = spawn.Queue()
    ps = [spawn.Process(target=mp_worker, args=(info, n, k, barrier, out, streams_only)) for k in sizes]
    for p in ps:
        p.start()
    rs = [out.get(timeout=120) for _ in ps]
    for p in ps:
        p.join()
    # Every client saw n distinct executions, and those are the n that were sent.
    all_parents = set()
    for r in rs:
        all_parents |= set(r["parents"])
    complete = sum(r["complete"] for r in rs) if len(all_parents) == n else 0
    wall = max(r["t1"] for r in rs) - min(r["t0"] for r in rs)
    return wall, complete, sum(r["cpu"] for r in rs)


def threaded_clients(cf, n):
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
    for c in cs:
        c.stop_channels()
    return el, sum(1 for s in seen if s >= n)


def main():
    name, rounds, *clients = sys.argv[1:]
    rounds = int(rounds)
    KernelSpecManager().get_kernel_spec(name)
    out = {"kernel": name}
    start_ms, km, kc = first_kernel_info(name, None)
    out["start_ms"] = start_ms
    kc.stop_channels()
    km.shutdown_kernel(now=False)
    start_fast_ms, km, kc = first_kernel_info(name, 1)
    out["start_fast_ms"] = start_fast_ms
    # The first cell right after kernel_info (the engine may still be starting).
    t = time.perf_counter()
    mid = kc.execute("x=1")
    while kc.get_shell_msg(timeout=30)["parent_header"].get("msg_id") != mid:
        pass
    out["first_exec_ms"] = start_fast_ms + (time.perf_counter() - t) * 1000
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
    out["rtt_median_us"] = statistics.median(samples)
    out["rtt_p99_us"] = samples[int(len(samples) * 0.99) - 1]
    info = km.get_connection_info()
    light, cpu = light_rtt(info, rounds, kernel_pid(km))
    out["rtt_light_median_us"] = statistics.median(light)
    for group, us in cpu.items():
        out[f"cpu_light_{group}_us"] = us
    out["rtt_light_p99_us"] = light[int(len(light) * 0.99) - 1]
    for n in map(int, clients):
        el, complete = threaded_clients(km.connection_file, n)
        out[f"clients_{n}_s"] = el
        out[f"clients_{n}_complete"] = complete
        el, complete, cpu = mp_clients(info, n, min(5, n))
        out[f"mp_clients_{n}_s"] = el
        out[f"mp_clients_{n}_complete"] = complete
        out[f"mp_clients_{n}_client_cpu_s"] = cpu
        el, complete, cpu = mp_clients(info, n, min(5, n), streams_only=True)
        out[f"mp_stream_clients_{n}_s"] = el
        out[f"mp_stream_clients_{n}_complete"] = complete
        out[f"mp_stream_clients_{n}_client_cpu_s"] = cpu
    kc.stop_channels()
    km.shutdown_kernel(now=False)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
