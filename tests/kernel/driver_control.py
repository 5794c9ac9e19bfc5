"""jupyter_client scenarios of the control channel and of configuration changes.

usage: driver_control.py SCENARIO CONNECTION_FILE [ARGS...]
Prints one JSON object (the scenario's findings) on the last line of stdout.
"""
import json
import sys
import time

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
