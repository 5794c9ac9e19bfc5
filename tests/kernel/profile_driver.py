"""A profiled notebook cell through jupyter_client, as JupyterLab runs it.

usage: profile_driver.py CONNECTION_FILE
Runs a `%%profile` cell and a cell whose execute_request asks for its profile
(llmspell.profile); prints one JSON object on the last line of stdout.
"""
import json
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from driver import client, collect, reply_to, run  # noqa: E402

CELL = """%%profile
local function spin(n)
  local s = 0
  for i = 1, n do s = s + i % 3 end
  return s
end
spin(3e6)"""


def main():
    kc = client(sys.argv[1])
    r, io = run(kc, CELL)
    shown = [m["content"] for m in io if m["msg_type"] == "display_data"]
    results = [m["content"]["data"]["text/plain"] for m in io if m["msg_type"] == "execute_result"]
    # A cell that fails on its second line names that line: the magic line is kept as a line.
    bad, bad_io = run(kc, "%%profile\nerror('at line two')")
    # A client that asks for the profile gets it in the reply, and no display.
    msg = kc.session.msg("execute_request", {
        "code": "local t = {} for i = 1, 2e5 do t[i] = i end",
        "silent": False, "store_history": True, "user_expressions": {},
        "allow_stdin": False, "stop_on_error": True,
        "llmspell": {"profile": {"rate_hz": 500}},
    })
    kc.shell_channel.send(msg)
    asked = reply_to(kc, msg["header"]["msg_id"])
    asked_io = collect(kc, msg["header"]["msg_id"])
    profile = asked["content"].get("llmspell", {}).get("profile", {})
    print(json.dumps({
        "status": r["content"]["status"],
        "displays": [{"mimes": sorted(d["data"].keys()), "svg": d["data"].get("image/svg+xml", ""),
                      "text": d["data"].get("text/plain", "")} for d in shown],
        "results": results,
        "bad": {"status": bad["content"]["status"], "evalue": bad["content"].get("evalue", ""),
                "displays": sum(1 for m in bad_io if m["msg_type"] == "display_data")},
        "asked": {"status": asked["content"]["status"],
                  "frames": [f["name"] for f in profile.get("frames", [])],
                  "samples": profile.get("sampleCount", 0),
                  "displays": sum(1 for m in asked_io if m["msg_type"] == "display_data")},
    }))
    kc.stop_channels()


main()
