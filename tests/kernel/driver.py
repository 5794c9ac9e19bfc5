"""jupyter_client scenarios against a running llmspell kernel.

usage: driver.py SCENARIO CONNECTION_FILE [ARGS...]
Prints one JSON object (the scenario's findings) on the last line of stdout.
"""
import json
import os
import signal
import sys
import threading
import time
import uuid
from queue import Empty

import zmq
from jupyter_client import BlockingKernelClient
from jupyter_client.session import Session

TIMEOUT = 30


def client(cf):
    kc = BlockingKernelClient(connection_file=cf)
    kc.load_connection_file()
    kc.start_channels()
    kc.wait_for_ready(timeout=TIMEOUT)
    return kc


def iopub(kc, timeout=TIMEOUT):
    """IOPub messages as they arrive, for `timeout` seconds at the most: the caller stops
    when it has what it waits for, and knows it timed out when the loop ends."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            yield kc.get_iopub_msg(timeout=1)
        except Empty:
            continue


def collect(kc, msg_id, timeout=TIMEOUT):
    """IOPub messages of one request, up to its idle status."""
    out = []
    for m in iopub(kc, timeout):
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        out.append(m)
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            return out
    raise TimeoutError(f"no idle for {msg_id}")


def reply_to(kc, msg_id, channel="shell", timeout=TIMEOUT):
    get = kc.get_shell_msg if channel == "shell" else kc.get_control_msg
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            m = get(timeout=1)
        except Empty:
            continue
        if m["parent_header"].get("msg_id") == msg_id:
            return m
    raise TimeoutError(f"no reply to {msg_id}")


def run(kc, code, **kw):
    mid = kc.execute(code, **kw)
    r = reply_to(kc, mid)
    io = collect(kc, mid)
    return r, io


def result_text(io):
    for m in io:
        if m["msg_type"] == "execute_result":
            return m["content"]["data"]["text/plain"]
    return None


def stdout_text(io):
    return "".join(m["content"]["text"] for m in io if m["msg_type"] == "stream")


def error_traceback(io):
    """The traceback lines of the cell's IOPub error message, or None."""
    for m in io:
        if m["msg_type"] == "error":
            return m["content"]["traceback"]
    return None


def scenario_interrupt(cf, code="while true do end", ready=""):
    """`ready`: interrupt once the cell has printed this (it is where it loops)."""
    kc = client(cf)
    run(kc, "kept = 41")
    mid = kc.execute(code)
    # Wait until the cell runs (execute_input is published when it starts).
    if ready:
        wait_output(kc, mid, ready)
    else:
        wait_running(kc, mid)
    t0 = time.time()
    msg = kc.session.msg("interrupt_request", {})
    kc.control_channel.send(msg)
    ireply = reply_to(kc, msg["header"]["msg_id"], "control")
    r = reply_to(kc, mid)
    elapsed = time.time() - t0
    collect(kc, mid)
    r2, io2 = run(kc, "kept + 1")
    return {
        "interrupt_reply": ireply["content"]["status"],
        "status": r["content"]["status"],
        "ename": r["content"].get("ename"),
        "elapsed": elapsed,
        "after": result_text(io2),
    }


def scenario_restart(cf):
    kc = client(cf)
    run(kc, "x = 1")
    _, io = run(kc, "x")
    before = result_text(io)
    msg = kc.session.msg("shutdown_request", {"restart": True})
    kc.control_channel.send(msg)
    rep = reply_to(kc, msg["header"]["msg_id"], "control")
    kc.wait_for_ready(timeout=TIMEOUT)
    r, io = run(kc, "x == nil")
    return {
        "before": before,
        "restart": rep["content"].get("restart"),
        "after": result_text(io),
        "execution_count": r["content"]["execution_count"],
    }


def scenario_forged(cf):
    info = json.load(open(cf))
    good = Session(key=info["key"].encode(), signature_scheme=info["signature_scheme"])
    bad = Session(key=b"not the key")
    unsigned = Session(key=b"")
    ctx = zmq.Context()
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(f"tcp://{info['ip']}:{info['shell_port']}")
    sent = {}

    def send(session, label):
        m = session.msg("kernel_info_request", {})
        session.send(s, m)
        sent[m["header"]["msg_id"]] = label
        return m

    send(bad, "forged")
    send(unsigned, "unsigned")
    # Malformed: garbage frames, a truncated message, bad JSON with a valid signature.
    s.send_multipart([b"garbage"])
    s.send_multipart([b"<IDS|MSG>", b"sig"])
    parts = [b"{not json", b"{}", b"{}", b"{}"]
    s.send_multipart([b"<IDS|MSG>", good.sign(parts), *parts])
    s.send_multipart([b"\xff" * 70000])
    # A valid one, then its exact replay.
    m = good.msg("kernel_info_request", {})
    frames = good.serialize(m)
    s.send_multipart(frames)
    sent[m["header"]["msg_id"]] = "valid"
    s.send_multipart(frames)
    answered = []
    deadline = time.time() + 5
    while time.time() < deadline:
        if s.poll(200):
            f = s.recv_multipart()
            _, msg = good.feed_identities(f)
            r = good.deserialize(msg)
            answered.append(sent.get(r["parent_header"]["msg_id"], "?"))
            # Give a (wrong) second answer a moment to show up.
            deadline = min(deadline, time.time() + 1)
    # The kernel still works for a normal client.
    kc = client(cf)
    _, io = run(kc, "1 + 1")
    return {"answered": answered, "after": result_text(io)}


def scenario_clients(cf, n):
    n = int(n)
    markers = [f"m{i}-{uuid.uuid4().hex[:6]}" for i in range(n)]
    clients = [None] * n
    errors = []

    def connect(i):
        try:
            clients[i] = client(cf)
        except Exception as e:  # noqa: BLE001
            errors.append(f"connect {i}: {e}")

    threads = [threading.Thread(target=connect, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        return {"errors": errors}
    seen = [set() for _ in range(n)]
    replies = [None] * n
    want = set(markers)

    def work(i):
        kc = clients[i]
        try:
            mid = kc.execute(f"print('{markers[i]}')")
            replies[i] = reply_to(kc, mid)["content"]["status"]
            for m in iopub(kc, 60):
                if m["msg_type"] == "stream":
                    for line in m["content"]["text"].splitlines():
                        if line in want:
                            seen[i].add(line)
                if seen[i] == want:
                    break
        except Exception as e:  # noqa: BLE001
            errors.append(f"client {i}: {e}")

    t0 = time.time()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - t0
    for kc in clients:
        kc.stop_channels()
    complete = sum(1 for s in seen if s == want)
    return {
        "clients": n,
        "complete": complete,
        "ok_replies": sum(1 for r in replies if r == "ok"),
        "errors": errors[:5],
        "elapsed": elapsed,
    }


def scenario_dying(cf):
    """A client that leaves mid-request disturbs no one."""
    a = client(cf)
    b = client(cf)
    a.execute("local t = os.clock() while os.clock() - t < 0.5 do end print('a done')")
    a.execute("print('a queued')")
    a.stop_channels()
    r, io = run(b, "print('b ok') return 7")
    return {"status": r["content"]["status"], "out": stdout_text(io), "result": result_text(io)}


def scenario_stdin(cf):
    kc = client(cf)
    mid = kc.execute("local name = input('name? ') return 'hi ' .. name", allow_stdin=True)
    req = kc.get_stdin_msg(timeout=TIMEOUT)
    prompt = req["content"]["prompt"]
    kc.input("Ada")
    r = reply_to(kc, mid)
    io = collect(kc, mid)
    r2, io2 = run(kc, "return input('x')", allow_stdin=False)
    return {
        "prompt": prompt,
        "result": result_text(io),
        "no_stdin": r2["content"]["status"],
    }


def scenario_stop_on_error(cf):
    kc = client(cf)
    # The first cell fails only once the next two have been sent, so they are queued behind
    # it however the processes are scheduled (the kernel's working directory is the home
    # that holds the runtime dir of the connection file).
    flag = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(cf))), "go")
    m1 = kc.execute("while not io.open(%r) do end error('first')" % flag)
    m2 = kc.execute("print('never')")
    m3 = kc.execute("print('runs')", stop_on_error=False)
    # The kernel answers kernel_info at once, in the order the shell socket delivers: once
    # its reply is here, the two cells sent before it are in the kernel's queue.
    reply_to(kc, kc.kernel_info())
    open(flag, "w").close()
    r1 = reply_to(kc, m1)
    r2 = reply_to(kc, m2)
    r3 = reply_to(kc, m3)
    collect(kc, m3)
    m4 = kc.execute("error('again')", stop_on_error=False)
    m5 = kc.execute("return 5")
    r4 = reply_to(kc, m4)
    r5 = reply_to(kc, m5)
    return {
        "statuses": [r["content"]["status"] for r in (r1, r2, r3, r4, r5)],
    }


def scenario_pipeline(cf):
    """Cells of three clients queued behind a busy one: the kernel hands the next cell to
    the engine while one runs, except where that would change what a client sees."""
    flag = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(cf))), "go")
    ka, kb, kc = client(cf), client(cf), client(cf)
    m0 = ka.execute("while not io.open(%r) do end x = 0" % flag)
    wait_running(ka, m0)
    # Queued behind m0, served round-robin by client (the order the clients' first cells
    # arrive in is up to the network). The cell after mb is C's or A's, which set x: B's
    # user expression must still see B's x.
    mb = kb.execute("x = 1", user_expressions={"y": "x"})
    md = kb.execute("local t = os.clock() while os.clock() - t < 0.05 do end print('b2') error('d')")
    mc = kc.execute("x = 2 print('c' .. x)")
    # A's error stops A's queue (its next cell is aborted), not B's next cell.
    ma1 = ka.execute("x = 3 error('stop')")
    ma2 = ka.execute("print('never')")
    # Once a client's kernel_info reply is here, its cells sent before it are queued.
    for k in (ka, kb, kc):
        reply_to(k, k.kernel_info())
    open(flag, "w").close()
    replies = {
        "m0": reply_to(ka, m0), "mb": reply_to(kb, mb), "mc": reply_to(kc, mc),
        "ma1": reply_to(ka, ma1), "ma2": reply_to(ka, ma2), "md": reply_to(kb, md),
    }
    y = replies["mb"]["content"]["user_expressions"]["y"]
    return {
        "statuses": {k: r["content"]["status"] for k, r in replies.items()},
        "order": [replies[k]["content"].get("execution_count") for k in ("m0", "mb", "mc", "ma1", "md")],
        "y": y["data"]["text/plain"] if y.get("status") == "ok" else y,
        "c_out": stdout_text(collect(kc, mc)),
        "d_out": stdout_text(collect(kb, md)),
        "d_error": replies["md"]["content"]["evalue"],
    }


def scenario_interrupt_queued(cf):
    """An interrupt stops the running cell, not the next client's cell queued behind it."""
    ka, kb = client(cf), client(cf)
    m0 = ka.execute("while true do end")
    mb = kb.execute("local t = os.clock() while os.clock() - t < 0.3 do end print('b')")
    reply_to(kb, kb.kernel_info())
    wait_running(ka, m0)
    msg = ka.session.msg("interrupt_request", {})
    ka.control_channel.send(msg)
    reply_to(ka, msg["header"]["msg_id"], "control")
    r0 = reply_to(ka, m0)
    rb = reply_to(kb, mb)
    return {
        "statuses": [r0["content"]["status"], rb["content"]["status"]],
        "ename": r0["content"].get("ename"),
        "b_out": stdout_text(collect(kb, mb)),
    }


def scenario_comm(cf):
    kc = client(cf)
    msg = kc.session.msg("comm_info_request", {})
    kc.shell_channel.send(msg)
    info = reply_to(kc, msg["header"]["msg_id"])
    open_msg = kc.session.msg("comm_open", {"comm_id": "c1", "target_name": "nope", "data": {}})
    kc.shell_channel.send(open_msg)
    closed = None
    deadline = time.time() + 10
    while time.time() < deadline and closed is None:
        m = kc.get_iopub_msg(timeout=TIMEOUT)
        if m["msg_type"] == "comm_close":
            closed = m["content"]["comm_id"]
    return {"comms": info["content"]["comms"], "status": info["content"]["status"], "closed": closed}


def wait_running(kc, mid):
    """Waits until the cell runs (execute_input is published when it starts)."""
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        m = kc.get_iopub_msg(timeout=TIMEOUT)
        if m["parent_header"].get("msg_id") == mid and m["msg_type"] == "execute_input":
            return
    raise TimeoutError(f"{mid} did not start")


def scenario_sigint(cf, pid):
    """SIGINT to the kernel process interrupts the running cell; globals survive."""
    kc = client(cf)
    run(kc, "kept = 41")
    mid = kc.execute("while true do end")
    wait_running(kc, mid)
    t0 = time.time()
    os.kill(int(pid), signal.SIGINT)
    r = reply_to(kc, mid)
    elapsed = time.time() - t0
    collect(kc, mid)
    _, io = run(kc, "kept + 1")
    return {
        "status": r["content"]["status"],
        "ename": r["content"].get("ename"),
        "elapsed": elapsed,
        "after": result_text(io),
    }


def scenario_sigterm(cf, pid):
    """SIGTERM while a cell runs: the cell is interrupted and answered, then the kernel ends."""
    kc = client(cf)
    mid = kc.execute("print('started') while true do end")
    wait_running(kc, mid)
    os.kill(int(pid), signal.SIGTERM)
    r = reply_to(kc, mid, timeout=10)
    return {"status": r["content"]["status"], "ename": r["content"].get("ename")}


def scenario_exec(cf, *cells):
    """Runs cells in order; returns the kernel_info transport view and each cell's output."""
    kc = client(cf)
    out = []
    for code in cells:
        r, io = run(kc, code)
        cell = {
            "status": r["content"]["status"],
            "stdout": stdout_text(io),
            "result": result_text(io),
        }
        tb = error_traceback(io)
        if tb is not None:
            cell["traceback"] = tb
        out.append(cell)
    kc.stop_channels()
    return {"transport": kc.transport, "cells": out}


def scenario_stream(cf, n):
    """Sends `n` cells at once (a stream of requests, none waiting for the one before) and
    returns how many were answered ok."""
    kc = client(cf)
    ids = [kc.execute("x = 1", store_history=False) for _ in range(int(n))]
    got = replies(kc, ids, timeout=120)
    kc.stop_channels()
    return {"ok": sum(1 for r in got.values() if r["content"]["status"] == "ok")}


def scenario_stream_topic(cf):
    """A SUB subscribed to ipykernel's stream topic prefix gets only the stream output."""
    kc = client(cf)
    info = json.load(open(cf))
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"stream.")
    sub.connect(f"{info['transport']}://{info['ip']}:{info['iopub_port']}")
    session = Session(key=info["key"].encode(), signature_scheme=info["signature_scheme"])
    # The subscription reaches the kernel asynchronously, possibly in the middle of a cell:
    # print until one output arrives, drain, then collect the outputs of one whole cell.
    deadline = time.monotonic() + TIMEOUT
    synced = False
    while not synced and time.monotonic() < deadline:
        run(kc, 'print("sync")')
        while sub.poll(200):
            sub.recv_multipart()
            synced = True
    topics, types, texts = [], [], []
    run(kc, 'io.stderr:write("e") print("hi")')
    while sub.poll(500):
        frames = sub.recv_multipart()
        i = frames.index(b"<IDS|MSG>")
        m = session.deserialize(frames[i + 1:])
        topics.append(frames[0].decode())
        types.append(m["msg_type"])
        texts.append(m["content"]["name"] + ":" + m["content"]["text"])
    sub.close(linger=0)
    kc.stop_channels()
    return {"topics": sorted(set(topics)), "types": sorted(set(types)),
            "texts": sorted(set(texts))}


def wait_output(kc, mid, text):
    """Waits until the cell has printed `text`."""
    deadline = time.time() + TIMEOUT
    out = ""
    while text not in out and time.time() < deadline:
        m = kc.get_iopub_msg(timeout=TIMEOUT)
        if m["parent_header"].get("msg_id") == mid and m["msg_type"] == "stream":
            out += m["content"]["text"]
    if text not in out:
        raise TimeoutError(f"{mid} did not print {text!r}")


def scenario_wedged(cf, code, how="interrupt", ready=""):
    """A cell that never reaches a Lua hook: interrupt (or restart) it; what clients see.

    `ready`: the text the cell prints where it loops (then it is past any Lua hook). Collects
    every IOPub message after the request (any parent) until the new kernel image says idle;
    then runs `1+1` on the same client (same connection file and ports).
    """
    kc = client(cf)
    run(kc, "kept = 41")
    mid = kc.execute(code)
    wait_output(kc, mid, ready) if ready else wait_running(kc, mid)
    t0 = time.time()
    if how != "none":  # none: the kernel's time limit (timeout_ms) is what stops it
        msg = kc.session.msg("interrupt_request" if how == "interrupt" else "shutdown_request",
                             {} if how == "interrupt" else {"restart": True})
        kc.control_channel.send(msg)
    r = reply_to(kc, mid)
    elapsed = time.time() - t0
    states, errors = [], []
    for m in iopub(kc):
        if m["msg_type"] == "status":
            states.append(m["content"]["execution_state"])
            if states[-2:] == ["starting", "idle"]:
                break
        elif m["msg_type"] == "error":
            errors.append(m["content"]["evalue"])
    restarted = time.time() - t0
    r2, io2 = run(kc, "1+1")
    _, io3 = run(kc, "kept")
    return {
        "status": r["content"]["status"],
        "ename": r["content"].get("ename"),
        "evalue": r["content"].get("evalue"),
        "elapsed": elapsed,
        "restarted_after": restarted,
        "states": states,
        "iopub_errors": errors,
        "after": result_text(io2),
        "kept": result_text(io3),
    }


def replies(kc, ids, channel="shell", timeout=TIMEOUT):
    """The replies to the requests `ids` on one channel, by request id; whatever is missing
    after `timeout` is not there."""
    get = kc.get_shell_msg if channel == "shell" else kc.get_control_msg
    got = {}
    deadline = time.time() + timeout
    while len(got) < len(ids) and time.time() < deadline:
        try:
            m = get(timeout=1)
        except Empty:
            continue
        if m["parent_header"].get("msg_id") in ids:
            got[m["parent_header"]["msg_id"]] = m
    return got


def scenario_wedged_next(cf, code, ready):
    """Requests sent the moment the wedged cell's error reply came, while the kernel's old
    process image still reads its sockets (it writes out and closes them before it is
    replaced): a cell and a completion on shell, a kernel_info on control. What answers
    each, and from which image (each has its own session)."""
    kc = client(cf)
    run(kc, "kept = 41")
    mid = kc.execute(code)
    wait_output(kc, mid, ready)
    kc.control_channel.send(kc.session.msg("interrupt_request", {}))
    wedged = reply_to(kc, mid)
    cell = kc.execute("6 * 7")
    completion = kc.complete("string.rep", 10)
    info = kc.session.msg("kernel_info_request", {})
    kc.control_channel.send(info)
    shell = replies(kc, [cell, completion], timeout=20)
    control = replies(kc, [info["header"]["msg_id"]], "control", timeout=20)
    old = wedged["header"]["session"]

    def image(m):
        return None if m is None else ("old" if m["header"]["session"] == old else "new")

    r = shell.get(cell)
    c = shell.get(completion)
    k = control.get(info["header"]["msg_id"])
    return {
        "wedged": wedged["content"]["status"],
        "cell": r and r["content"]["status"],
        "cell_image": image(r),
        "result": result_text(collect(kc, cell)) if r else None,
        "completion": c and c["content"]["matches"],
        "completion_image": image(c),
        "kernel_info": k and k["content"]["status"],
        "kernel_info_image": image(k),
        "kept": result_text(run(kc, "kept")[1]),
    }


def scenario_alive(cf, seconds):
    """Gets in, is answered, and watches the heartbeat for `seconds` (jupyter_client pings
    every second and counts a reply missing after 1 s as a failure)."""
    kc = client(cf)
    failures = []
    kc.hb_channel.call_handlers = lambda since: failures.append(since)
    r, io = run(kc, "return 1 + 1")
    deadline = time.monotonic() + float(seconds)
    beating = True
    while time.monotonic() < deadline:
        time.sleep(0.1)
        beating = beating and kc.hb_channel.is_beating()
    kc.stop_channels()
    return {"status": r["content"]["status"], "result": result_text(io),
            "beating": beating, "hb_failures": len(failures)}


def scenario_pulse(cf, stop_file):
    """An honest client timing round trips (execute_reply and idle) until `stop_file`
    exists; prints "pulse" lines while it runs so a test knows it is answered."""
    kc = client(cf)
    failures = []
    kc.hb_channel.call_handlers = lambda since: failures.append(since)
    times, errors = [], []
    while not times or not os.path.exists(stop_file):
        t = time.monotonic()
        try:
            r, io = run(kc, "n = (n or 0) + 1 return n")
            if r["content"]["status"] != "ok":
                errors.append(r["content"])
        except TimeoutError as e:
            errors.append(str(e))
        times.append(time.monotonic() - t)
        if len(times) % 20 == 1:
            print(f"pulse {len(times)}", flush=True)
        time.sleep(0.01)
    kc.stop_channels()
    times.sort()
    return {"n": len(times), "p50": times[len(times) // 2],
            "p99": times[min(len(times) - 1, int(len(times) * 0.99))], "max": times[-1],
            "errors": errors[:5], "hb_failures": len(failures)}


def client_beside_traffic(cf):
    """A client for a kernel whose IOPub never goes quiet (another client runs cells
    back to back): wait_for_ready flushes IOPub until 0.2 s pass without a message,
    which then never happens. Ready here is a kernel_info reply on shell."""
    kc = BlockingKernelClient(connection_file=cf)
    kc.load_connection_file()
    kc.start_channels()
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        msg_id = kc.kernel_info()
        try:
            while True:
                m = kc.get_shell_msg(timeout=1)
                if m["parent_header"].get("msg_id") == msg_id:
                    return kc
        except Empty:
            continue
    raise TimeoutError("no kernel_info reply")


def scenario_victim(cf):
    """Sends a cell with output and says "sent"; the test kills it mid-request. The soak's
    pulse client keeps IOPub busy meanwhile."""
    kc = client_beside_traffic(cf)
    kc.execute("for i = 1, 2000 do print(i) end")
    print("sent", flush=True)
    time.sleep(TIMEOUT)
    return {"killed": False}


def dispatch(scenarios):
    """Runs the scenario argv names (`scenario_NAME` in `scenarios`, a module's globals) with
    the connection file and the other arguments, and prints its result as JSON."""
    name, cf, *rest = sys.argv[1:]
    print(json.dumps(scenarios[f"scenario_{name}"](cf, *rest)))


def main():
    dispatch(globals())


if __name__ == "__main__":
    main()
