"""jupyter_client scenarios of LLM calls on a running llmspell kernel.

usage: llm_driver.py SCENARIO CONNECTION_FILE SERVER_URL (or MODEL for local_*)
Prints one JSON object on the last line of stdout.
"""
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "kernel"))
from driver import (  # noqa: E402
    TIMEOUT, client, collect, dispatch, iopub, reply_to, result_text, run,
)

SETUP = 'agent = Agent.builder():model("openai/gpt-4o-mini"):build()'


def poke(url, path):
    urllib.request.urlopen(url + path, timeout=TIMEOUT).read()


def scenario_stream(cf, url):
    """Each token's IOPub stream message arrives before the server sends the next token."""
    kc = client(cf)
    run(kc, SETUP)
    mid = kc.execute('r = agent:stream("story", function(t) io.write(t) end)\nr.text')
    pieces = []
    result = None
    for m in iopub(kc):
        if m["parent_header"].get("msg_id") != mid:
            continue
        if m["msg_type"] == "stream":
            pieces.append(m["content"]["text"])
            poke(url, "/release")
        elif m["msg_type"] == "execute_result":
            result = m["content"]["data"]["text/plain"]
        elif m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            break
    reply = reply_to(kc, mid)
    return {"pieces": pieces, "result": result, "status": reply["content"]["status"]}


def scenario_interrupt(cf, url):
    """Interrupt a stream after its first token: the cell fails, the state stays."""
    kc = client(cf)
    run(kc, "kept = 41\n" + SETUP)
    mid = kc.execute('agent:stream("x", function(t) io.write(t) end)')
    first = None
    for m in iopub(kc):
        if m["parent_header"].get("msg_id") == mid and m["msg_type"] == "stream":
            first = m["content"]["text"]
            break
    poke(url, "/mark")
    msg = kc.session.msg("interrupt_request", {})
    kc.control_channel.send(msg)
    ireply = reply_to(kc, msg["header"]["msg_id"], "control")
    r = reply_to(kc, mid)
    collect(kc, mid)
    _, io2 = run(kc, "kept + 1")
    return {
        "first": first,
        "interrupt_reply": ireply["content"]["status"],
        "status": r["content"]["status"],
        "evalue": r["content"].get("evalue"),
        "after": result_text(io2),
    }


def scenario_local_interrupt(cf, model):
    """Interrupt a local model's endless stream: the cell fails at once, the state stays, and
    the model answers the next call (its generation stopped, or the call would wait for it)."""
    kc = client(cf)
    run(kc, "kept = 41\n"
        f'endless = Agent.builder():model("{model}"):max_tokens(1000000):build()\n'
        f'quick = Agent.builder():model("{model}"):max_tokens(5):build()')
    mid = kc.execute('endless:stream("x", function(t) io.write(t) end)')
    # The first piece waits for node-llama-cpp and the model to load: seconds on a busy machine.
    deadline = time.time() + 3 * TIMEOUT
    pieces = 0
    while time.time() < deadline and pieces < 3:
        m = kc.get_iopub_msg(timeout=3 * TIMEOUT)
        if m["parent_header"].get("msg_id") == mid and m["msg_type"] == "stream":
            pieces += 1
    sent = time.time()
    msg = kc.session.msg("interrupt_request", {})
    kc.control_channel.send(msg)
    ireply = reply_to(kc, msg["header"]["msg_id"], "control")
    r = reply_to(kc, mid)
    stopped_ms = (time.time() - sent) * 1000
    collect(kc, mid)
    _, io2 = run(kc, "kept + 1")
    _, io3 = run(kc, 'quick:execute("y").usage.output_tokens')
    return {
        "pieces": pieces,
        "interrupt_reply": ireply["content"]["status"],
        "status": r["content"]["status"],
        "evalue": r["content"].get("evalue"),
        "stopped_ms": stopped_ms,
        "after": result_text(io2),
        "next_call_tokens": result_text(io3),
    }


def scenario_workflow_interrupt(cf, url):
    """Interrupt a parallel workflow whose 3 model calls are held by the server: the cell
    fails at once, the state stays, and the server sees each request abandoned."""
    kc = client(cf)
    run(kc, "kept = 41\n" + SETUP)
    mid = kc.execute(
        'Workflow.parallel{name = "fan", steps = {'
        '{agent = agent, input = "1"}, {agent = agent, input = "2"}, {agent = agent, input = "3"}'
        '}}:execute()')
    deadline = time.time() + TIMEOUT
    opened = 0
    while time.time() < deadline and opened < 3:
        opened = int(urllib.request.urlopen(url + "/open", timeout=TIMEOUT).read())
        time.sleep(0.02)
    poke(url, "/mark")
    sent = time.time()
    msg = kc.session.msg("interrupt_request", {})
    kc.control_channel.send(msg)
    ireply = reply_to(kc, msg["header"]["msg_id"], "control")
    r = reply_to(kc, mid)
    ended_ms = (time.time() - sent) * 1000
    collect(kc, mid)
    _, io2 = run(kc, "kept + 1")
    return {
        "opened": opened,
        "interrupt_reply": ireply["content"]["status"],
        "status": r["content"]["status"],
        "evalue": r["content"].get("evalue"),
        "ended_ms": ended_ms,
        "after": result_text(io2),
    }


def scenario_markdown(cf, url):
    """An agent's result as a cell's last expression, streamed or not, and display(r)."""
    kc = client(cf)
    run(kc, SETUP)
    out = {}
    for name, code in [
        ("execute", 'agent:execute("hi")'),
        ("stream", 'r = agent:stream("more", function() end)\nr'),
        ("other", "{text = 'a plain table'}"),
    ]:
        reply, io = run(kc, code)
        results = [m["content"] for m in io if m["msg_type"] == "execute_result"]
        out[name] = {
            "status": reply["content"]["status"],
            "mimes": sorted(results[0]["data"]) if results else None,
            "markdown": results[0]["data"].get("text/markdown") if results else None,
            "plain": results[0]["data"]["text/plain"] if results else None,
        }
    _, io = run(kc, "display(r)")
    shown = [m["content"]["data"] for m in io if m["msg_type"] == "display_data"]
    out["display"] = {k: shown[0][k] for k in sorted(shown[0]) if k == "text/markdown"}
    out["display_plain"] = "text/plain" in shown[0]
    return out


if __name__ == "__main__":
    dispatch(globals())
