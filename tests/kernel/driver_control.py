"""jupyter_client scenarios of the control channel and of configuration changes.

usage: driver_control.py SCENARIO CONNECTION_FILE [ARGS...]
Prints one JSON object (the scenario's findings) on the last line of stdout.
"""
import json
import sys
import time
from queue import Empty

from driver import client, reply_to, result_text, run

TIMEOUT = 30


def scenario_debug(cf, command="initialize"):
    """kernel_info's debugger flag, and the reply to a debug_request on control."""
    kc = client(cf)
    info = kc.kernel_info(reply=True, timeout=TIMEOUT)
    msg = kc.session.msg("debug_request", {
        "type": "request", "seq": 7, "command": command,
        "arguments": {"clientID": "test", "adapterID": "llmspell"},
    })
    t0 = time.time()
    kc.control_channel.send(msg)
    rep = reply_to(kc, msg["header"]["msg_id"], "control", timeout=10)
    elapsed = time.time() - t0
    _, io = run(kc, "1 + 1")
    kc.stop_channels()
    return {
        "kernel_info_debugger": info["content"]["debugger"],
        "msg_type": rep["msg_type"],
        "content": rep["content"],
        "elapsed": elapsed,
        "after": result_text(io),
    }


def scenario_debug_cell(cf, code, who_continues):
    """Runs a cell that a debugger (attached through debug_request) stops: the debug_event
    `stopped` seen on IOPub; then, once the debugger set a new breakpoint (its sign that it
    is done), this client continues it (who_continues == "jupyter"), or it waits for the
    other client's `continued` event; then the cell's reply and result."""
    kc = client(cf)
    mid = kc.execute(code)
    stopped = None
    continued = None
    io = []
    idle = False
    deadline = time.time() + TIMEOUT
    while time.time() < deadline and (continued is None or not idle):
        try:
            m = kc.get_iopub_msg(timeout=1)
        except Empty:
            continue
        if m["msg_type"] != "debug_event":
            if m["parent_header"].get("msg_id") == mid:
                io.append(m)
                if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                    idle = True
            continue
        ev = m["content"]
        if ev.get("event") == "stopped" and stopped is None:
            stopped = ev
        elif (ev.get("event") == "breakpoint" and stopped is not None
              and ev["body"].get("reason") == "new"):
            # The other client's sign that it is done looking (a breakpoint it set).
            if who_continues == "jupyter":
                req = kc.session.msg("debug_request", {
                    "type": "request", "seq": 1, "command": "continue",
                    "arguments": {"threadId": 1},
                })
                kc.control_channel.send(req)
                rep = reply_to(kc, req["header"]["msg_id"], "control")
                if not rep["content"].get("success"):
                    raise RuntimeError(f"continue failed: {rep['content']}")
        elif ev.get("event") == "continued" and stopped is not None:
            continued = ev
    r = reply_to(kc, mid)
    kc.stop_channels()
    return {
        "stopped": stopped,
        "continued": continued,
        "status": r["content"]["status"],
        "result": result_text(io),
    }


def scenario_cells(cf, *cells):
    """Runs cells in order; each one's status, error name and value, and how long it took."""
    kc = client(cf)
    out = []
    for code in cells:
        t0 = time.time()
        r, io = run(kc, code)
        out.append({
            "status": r["content"]["status"],
            "ename": r["content"].get("ename"),
            "evalue": r["content"].get("evalue"),
            "result": result_text(io),
            "elapsed": time.time() - t0,
        })
    kc.stop_channels()
    return {"cells": out}


def main():
    name, cf, *rest = sys.argv[1:]
    result = globals()[f"scenario_{name}"](cf, *rest)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
