"""Runs cells on a running llmspell kernel through jupyter_client, in order.

usage: state_driver.py CONNECTION_FILE CODE [CODE...]
Prints one JSON list on the last line: per cell {status, stdout, stderr, error}.
"""
import json
import sys

from driver import client, run


def main():
    cf, cells = sys.argv[1], sys.argv[2:]
    kc = client(cf)
    out = []
    for code in cells:
        reply, io = run(kc, code)
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
