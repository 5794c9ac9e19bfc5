"""Runs cells on a running llmspell kernel with jupyter_client and reports, per cell, what
its IOPub messages carried: stream texts with their buffers (hex), the execute_result's
text/plain and buffers, the error's evalue, traceback and buffers (tests/kernel/bytes_test.ts).

usage: bytes_driver.py CONNECTION_FILE CELLS_JSON
Prints one JSON list (one object per cell) on stdout.
"""
import json
import sys

from driver import client, collect


def main():
    cf, cells = sys.argv[1], json.loads(sys.argv[2])
    kc = client(cf)
    out = []
    for code in cells:
        cell = {"streams": [], "result": None, "error": None}
        for m in collect(kc, kc.execute(code)):
            t, c = m["msg_type"], m["content"]
            bufs = [bytes(b).hex() for b in m.get("buffers", [])]
            if t == "stream":
                cell["streams"].append({"name": c["name"], "text": c["text"], "buffers": bufs})
            elif t == "execute_result":
                cell["result"] = {"text": c["data"]["text/plain"], "buffers": bufs}
            elif t == "error":
                cell["error"] = {"evalue": c["evalue"], "traceback": c["traceback"],
                                 "buffers": bufs}
        out.append(cell)
    kc.stop_channels()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
