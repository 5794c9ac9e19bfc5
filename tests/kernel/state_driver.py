"""Runs cells on a running llmspell kernel through jupyter_client, in order.

usage: state_driver.py CONNECTION_FILE CODE [CODE...]
Prints one JSON list on the last line: per cell {status, stdout, stderr, error}.
STATE_DRIVER_TIMEOUT (seconds, default driver.TIMEOUT) bounds each cell: a cell that runs
until other processes are done waits as long as they take.
"""
import json
import os
import sys

from driver import TIMEOUT, client, collect, reply_to


def main():
    cf, cells = sys.argv[1], sys.argv[2:]
    kc = client(cf)
    out = []
    timeout = float(os.environ.get("STATE_DRIVER_TIMEOUT", TIMEOUT))
    for code in cells:
        mid = kc.execute(code)
        reply = reply_to(kc, mid, timeout=timeout)
        io = collect(kc, mid, timeout=timeout)
        streams = {"stdout": "", "stderr": ""}
        error = None
        for m in io:
            if m["msg_type"] == "stream":
                streams[m["content"]["name"]] += m["content"]["text"]
            elif m["msg_type"] == "error":
                error = m["content"]["evalue"]
        out.append({"status": reply["content"]["status"], **streams, "error": error})
    kc.stop_channels()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
