"""jupyter_client scenarios of the control channel and of configuration changes.

usage: driver_control.py SCENARIO CONNECTION_FILE [ARGS...]
Prints one JSON object (the scenario's findings) on the last line of stdout.
"""
import json
import os
import signal
import sys
import time

from driver import client, collect, reply_to, result_text, run, wait_running

TIMEOUT = 30


def scenario_debug(cf):
    """kernel_info's debugger flag, and the reply to a debug_request on control."""
    kc = client(cf)
    info = kc.kernel_info(reply=True, timeout=TIMEOUT)
    msg = kc.session.msg("debug_request", {
        "type": "request", "seq": 7, "command": "initialize",
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


def main():
    name, cf, *rest = sys.argv[1:]
    result = globals()[f"scenario_{name}"](cf, *rest)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
