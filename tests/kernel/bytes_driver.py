"""Runs cells on a running llmspell kernel with jupyter_client and reports, per cell, what
its IOPub messages carried: stream texts with their buffers (hex), the execute_result's
text/plain and buffers, the error's evalue, traceback and buffers (tests/kernel/bytes_test.ts).

usage: bytes_driver.py CONNECTION_FILE CELLS_JSON
Prints one JSON list (one object per cell) on stdout.
"""
import json
import sys
import time
from queue import Empty

from jupyter_client import BlockingKernelClient

TIMEOUT = 30


def main():
    cf, cells = sys.argv[1], json.loads(sys.argv[2])
    kc = BlockingKernelClient(connection_file=cf)
    kc.load_connection_file()
    kc.start_channels()
    kc.wait_for_ready(timeout=TIMEOUT)
    out = []
    for code in cells:
        msg_id = kc.execute(code)
        cell = {"streams": [], "result": None, "error": None}
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            try:
                m = kc.get_iopub_msg(timeout=1)
            except Empty:
                continue
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            t, c = m["msg_type"], m["content"]
            bufs = [bytes(b).hex() for b in m.get("buffers", [])]
            if t == "stream":
                cell["streams"].append({"name": c["name"], "text": c["text"], "buffers": bufs})
            elif t == "execute_result":
                cell["result"] = {"text": c["data"]["text/plain"], "buffers": bufs}
            elif t == "error":
                cell["error"] = {"evalue": c["evalue"], "traceback": c["traceback"],
                                 "buffers": bufs}
            elif t == "status" and c["execution_state"] == "idle":
                break
        else:
            raise TimeoutError(f"no idle for {code!r}")
        out.append(cell)
    kc.stop_channels()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
