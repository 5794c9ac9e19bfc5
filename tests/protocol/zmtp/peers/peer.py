"""libzmq (pyzmq) peer for the ZMTP interop tests.

Usage: peer.py MODE ARGS...  Every mode prints "ready <endpoint>" once its socket is usable and
"ok ..." or "fail ..." at the end. Modes that serve run until stdin closes. Blocking calls have
timeouts so a stall fails the test instead of hanging it.
"""
import os
import select
import struct
import sys

import zmq

TIMEOUT_MS = 15000


def say(*parts):
    sys.stdout.write(" ".join(str(p) for p in parts) + "\n")
    sys.stdout.flush()


def make(i, big_every):
    """Message i: [seq, payload, tail]; every big_every-th payload is 1 MiB."""
    if big_every and i % big_every == 0:
        payload = bytes([i % 251]) * (1024 * 1024)
    else:
        payload = bytes((i + k) % 256 for k in range(i % 97))
    return [b"seq" + struct.pack(">Q", i), payload, b"tail"]


def topics_msg(i):
    t = [b"a", b"b", b"c", b"ab", b"ba", b"cc"][i % 6]
    return [t + b"." + str(i).encode(), struct.pack(">Q", i)]


def sock(ctx, kind, how, endpoint, identity=None, opts=()):
    s = ctx.socket(getattr(zmq, kind))
    # Before bind/connect: libzmq copies options into the listener/session at that moment.
    for k, v in opts:
        s.setsockopt(k, v)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
    s.setsockopt(zmq.SNDTIMEO, TIMEOUT_MS)
    if identity:
        s.setsockopt(zmq.IDENTITY, identity.encode())
    if how == "bind":
        s.bind(endpoint)
        endpoint = s.getsockopt(zmq.LAST_ENDPOINT).decode()
    else:
        s.connect(endpoint)
    return s, endpoint


def wait_stdin_eof():
    try:
        sys.stdin.read()
    except Exception:
        pass


def echo(ctx, kind, how, endpoint):
    """Echo server: ROUTER/DEALER echo whole messages, REP echoes the request."""
    s, ep = sock(ctx, kind, how, endpoint)
    s.setsockopt(zmq.RCVTIMEO, -1)
    say("ready", ep)
    poller = zmq.Poller()
    poller.register(s, zmq.POLLIN)
    poller.register(sys.stdin, zmq.POLLIN)
    n = 0
    while True:
        ev = dict(poller.poll())
        if s in ev:
            s.send_multipart(s.recv_multipart())
            n += 1
        elif ev:
            break
    say("ok", n)


def client(ctx, kind, how, endpoint, n, big_every, identity):
    """DEALER (window 64) or REQ (window 1) client checking every echo, in order."""
    s, ep = sock(ctx, kind, how, endpoint, identity)
    say("ready", ep)
    window = 1 if kind == "REQ" else 64
    pending = []
    sent = got = 0
    while got < n:
        while sent < n and len(pending) < window:
            m = make(sent, big_every)
            s.send_multipart(m)
            pending.append(m)
            sent += 1
        try:
            r = s.recv_multipart()
        except zmq.Again:
            say("fail", "timeout after", got)
            return
        exp = pending.pop(0)
        if r != exp:
            say("fail", "mismatch at", got, repr(r[0]), repr(exp[0]))
            return
        got += 1
    say("ok", got)
    wait_stdin_eof()


def sub(ctx, how, endpoint, n):
    """SUB subscribed to a, c and END; phase 2 (after PHASE2) drops c. Checks exact streams."""
    s, ep = sock(ctx, "SUB", how, endpoint, opts=[(zmq.RCVHWM, 0)])
    for t in (b"a", b"c", b"END", b"PHASE2"):
        s.setsockopt(zmq.SUBSCRIBE, t)
    say("ready", ep)
    phase = 1
    expected = [i for i in range(n) if topics_msg(i)[0][:1] in (b"a", b"c")]
    got = []
    while True:
        try:
            m = s.recv_multipart()
        except zmq.Again:
            say("fail", "timeout in phase", phase, "after", len(got))
            return
        if m[0] == b"PHASE2":
            if got != expected:
                say("fail", "phase1 got", len(got), "expected", len(expected))
                return
            s.setsockopt(zmq.UNSUBSCRIBE, b"c")
            phase = 2
            got = []
            expected = [i for i in range(n) if topics_msg(i)[0][:1] == b"a"]
            continue
        if m[0] == b"END":
            break
        i = struct.unpack(">Q", m[1])[0]
        if m != topics_msg(i):
            say("fail", "bad message", repr(m))
            return
        got.append(i)
    if got != expected:
        say("fail", "phase2 got", len(got), "expected", len(expected))
        return
    say("ok", len(got))
    wait_stdin_eof()


def pub(ctx, how, endpoint, n, big_every):
    """PUB: sends c-welcome until stdin says go, then n topic messages and END."""
    s, ep = sock(ctx, "PUB", how, endpoint, opts=[(zmq.SNDHWM, 0)])
    say("ready", ep)
    while True:
        s.send_multipart([b"c-welcome", b""])
        r, _, _ = select.select([sys.stdin], [], [], 0.01)
        if r:
            line = sys.stdin.readline()
            if line.strip() == "go":
                break
            if not line:
                return
    for i in range(n):
        m = topics_msg(i)
        if big_every and i % big_every == 0:
            m = m + [bytes([i % 251]) * (1024 * 1024)]
        s.send_multipart(m)
    s.send_multipart([b"END"])
    say("ok", n)
    wait_stdin_eof()


def multi(ctx, router_eps, rep_ep, per_router, reqs, rounds):
    """50 peers over 4 sockets: DEALERs on each ROUTER endpoint, REQs on the REP endpoint.
    Every round each peer sends one message and must get its echo; all driven by one poller."""
    socks = []
    for ep in router_eps:
        for k in range(per_router):
            s, _ = sock(ctx, "DEALER", "connect", ep, "d%s-%d" % (ep[-5:], k))
            socks.append(s)
    for k in range(reqs):
        s, _ = sock(ctx, "REQ", "connect", rep_ep)
        socks.append(s)
    say("ready", len(socks))
    poller = zmq.Poller()
    for s in socks:
        poller.register(s, zmq.POLLIN)
    total = 0
    for r in range(rounds):
        for idx, s in enumerate(socks):
            s.send_multipart([b"r%d" % r, b"p%d" % idx])
        waiting = set(range(len(socks)))
        while waiting:
            ev = dict(poller.poll(TIMEOUT_MS))
            if not ev:
                say("fail", "stall in round", r, "waiting for", len(waiting))
                return
            for idx, s in enumerate(socks):
                if s in ev:
                    m = s.recv_multipart()
                    if m != [b"r%d" % r, b"p%d" % idx]:
                        say("fail", "bad echo", repr(m))
                        return
                    waiting.discard(idx)
                    total += 1
    say("ok", total)
    wait_stdin_eof()


def heartbeat(ctx, endpoint):
    """DEALER with libzmq heartbeats (PING every 30 ms, drop after 150 ms of silence), idle
    between messages for longer than that timeout: it only stays up if PINGs get PONGs."""
    s, _ = sock(ctx, "DEALER", "connect", endpoint, "hb",
                opts=[(zmq.HEARTBEAT_IVL, 30), (zmq.HEARTBEAT_TIMEOUT, 150)])
    say("ready", endpoint)
    import time
    for i in range(4):
        s.send(b"hb%d" % i)
        if s.recv() != b"hb%d" % i:
            say("fail", "bad echo")
            return
        time.sleep(0.2)  # idle on purpose: the scenario under test, not synchronisation
    say("ok", 4)
    wait_stdin_eof()


def killed_mid_message(endpoint):
    """Raw TCP: valid ZMTP handshake as DEALER, half of a 1 MiB frame, then SIGKILL itself."""
    import socket
    host, port = endpoint[len("tcp://"):].rsplit(":", 1)
    c = socket.create_connection((host, int(port)))
    greeting = b"\xff" + b"\x00" * 8 + b"\x7f" + b"\x03\x01" + b"NULL" + b"\x00" * 16 + b"\x00" + b"\x00" * 31
    props = b"\x0bSocket-Type" + struct.pack(">I", 6) + b"DEALER"
    ready = b"\x05READY" + props
    c.sendall(greeting + bytes([0x04, len(ready)]) + ready)
    c.sendall(b"\x02" + struct.pack(">Q", 1024 * 1024) + b"x" * (512 * 1024))
    say("ready", "partial")
    sys.stdout.flush()
    os.kill(os.getpid(), 9)


def main():
    ctx = zmq.Context()
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "echo":
        echo(ctx, args[0], args[1], args[2])
    elif mode == "client":
        client(ctx, args[0], args[1], args[2], int(args[3]), int(args[4]),
               args[5] if len(args) > 5 else None)
    elif mode == "sub":
        sub(ctx, args[0], args[1], int(args[2]))
    elif mode == "pub":
        pub(ctx, args[0], args[1], int(args[2]), int(args[3]))
    elif mode == "multi":
        multi(ctx, args[0].split(","), args[1], int(args[2]), int(args[3]), int(args[4]))
    elif mode == "heartbeat":
        heartbeat(ctx, args[0])
    elif mode == "killed":
        killed_mid_message(args[0])
    else:
        say("fail", "unknown mode", mode)
    os._exit(0)


if __name__ == "__main__":
    main()
