"""pyzmq side of bench/zmtp.ts.

  zmtp_peer.py router            libzmq ROUTER echo server on a free port; "ready <endpoint>";
                                 exits when stdin closes.
  zmtp_peer.py client SPEC EPS   one pyzmq DEALER client measuring each endpoint in EPS
                                 (comma separated) for each test in SPEC (JSON); prints one JSON
                                 line per (test, endpoint, repetition).
"""
import json
import sys
import time

import zmq


def router():
    ctx = zmq.Context()
    s = ctx.socket(zmq.ROUTER)
    s.setsockopt(zmq.LINGER, 0)
    # A libzmq ROUTER silently drops at its HWM; unlimited, like our side's effective setting.
    s.setsockopt(zmq.SNDHWM, 0)
    s.setsockopt(zmq.RCVHWM, 0)
    s.bind("tcp://127.0.0.1:*")
    print("ready", s.getsockopt(zmq.LAST_ENDPOINT).decode(), flush=True)
    poller = zmq.Poller()
    poller.register(s, zmq.POLLIN)
    poller.register(sys.stdin, zmq.POLLIN)
    while True:
        ev = dict(poller.poll())
        if s in ev:
            # Drain everything available before polling again, as a tuned server would.
            while True:
                try:
                    m = s.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                s.send_multipart(m)
        elif ev:
            return


def latency(s, size, n):
    msg = b"x" * size
    t0 = time.perf_counter()
    for _ in range(n):
        s.send(msg)
        s.recv()
    return (time.perf_counter() - t0) / n * 1e6  # microseconds per round trip


def throughput(s, size, n, window):
    msg = b"x" * size
    sent = got = 0
    t0 = time.perf_counter()
    while got < n:
        while sent < n and sent - got < window:
            s.send(msg, copy=size < 4096)
            sent += 1
        s.recv(copy=False)
        got += 1
        # Drain what is already there without blocking, to keep the pipe full.
        while got < sent:
            try:
                s.recv(zmq.NOBLOCK, copy=False)
            except zmq.Again:
                break
            got += 1
    dt = time.perf_counter() - t0
    return n / dt


def client(spec, endpoints):
    ctx = zmq.Context()
    socks = {}
    for ep in endpoints:
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.RCVTIMEO, 20000)
        s.setsockopt(zmq.SNDHWM, 0)
        s.setsockopt(zmq.RCVHWM, 0)
        s.connect(ep)
        latency(s, 10, 200)  # connect and warm up
        socks[ep] = s
    print(json.dumps({"event": "connected", "libzmq": zmq.zmq_version(), "pyzmq": zmq.__version__}), flush=True)
    for rep in range(spec["reps"]):
        for test in spec["tests"]:
            # Alternate which server goes first so neither always runs on a colder machine.
            order = endpoints if rep % 2 == 0 else list(reversed(endpoints))
            for ep in order:
                s = socks[ep]
                if test["kind"] == "latency":
                    latency(s, test["size"], max(100, test["n"] // 10))
                    v = latency(s, test["size"], test["n"])
                else:
                    throughput(s, test["size"], max(100, test["n"] // 10), test["window"])
                    v = throughput(s, test["size"], test["n"], test["window"])
                print(json.dumps({"test": test["name"], "endpoint": ep, "rep": rep, "value": v}),
                      flush=True)
    print(json.dumps({"event": "done"}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "router":
        router()
    else:
        client(json.loads(sys.argv[2]), sys.argv[3].split(","))
