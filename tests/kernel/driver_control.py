"""jupyter_client scenarios of the control channel and of configuration changes.

usage: driver_control.py SCENARIO CONNECTION_FILE [ARGS...]
Prints one JSON object (the scenario's findings) on the last line of stdout.
"""
import time

from driver import TIMEOUT, client, collect, dispatch, iopub, reply_to, result_text, run


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
    other client's `continued` event; then the cell's reply and result, and what debugInfo
    said while the cell was stopped."""
    kc = client(cf)
    mid = kc.execute(code)
    stopped = None
    continued = None
    debug_info = None
    io = []
    idle = False
    messages = iopub(kc)
    while continued is None or not idle:
        m = next(messages, None)
        if m is None:
            break
        if m["msg_type"] != "debug_event":
            if m["parent_header"].get("msg_id") == mid:
                io.append(m)
                if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                    idle = True
            continue
        ev = m["content"]
        if ev.get("event") == "stopped" and stopped is None:
            stopped = ev
            # What JupyterLab asks when it finds a kernel stopped: the breakpoints of all
            # clients, and the stopped thread.
            req = kc.session.msg("debug_request", {
                "type": "request", "seq": 2, "command": "debugInfo", "arguments": {},
            })
            kc.control_channel.send(req)
            debug_info = reply_to(kc, req["header"]["msg_id"], "control")["content"]["body"]
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
        "debug_info": debug_info,
        "status": r["content"]["status"],
        "result": result_text(io),
    }


def murmur2(text, seed):
    """32-bit MurmurHash2 of the UTF-8 bytes, ported from @jupyterlab/debugger's hash.ts
    independently of the kernel's (src/kernel/murmur2.ts)."""
    data = text.encode("utf-8")
    m = 0x5BD1E995
    mask = 0xFFFFFFFF
    n = len(data)
    h = (seed ^ n) & mask
    i = 0
    while n - i >= 4:
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * m) & mask
        k ^= k >> 24
        k = (k * m) & mask
        h = ((h * m) & mask) ^ k
        i += 4
    rest = n - i
    if rest == 3:
        h ^= data[i + 2] << 16
    if rest >= 2:
        h ^= data[i + 1] << 8
    if rest >= 1:
        h ^= data[i]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h


def wait_stopped(kc):
    """The content of the next `stopped` debug_event on IOPub, or None after TIMEOUT."""
    for m in iopub(kc):
        if m["msg_type"] == "debug_event" and m["content"].get("event") == "stopped":
            return m["content"]
    return None


def dap_client(kc):
    """`send(command, **arguments)` puts one DAP request on control and returns its msg_id;
    `request(command, **arguments)` sends one and returns its debug_reply's content."""
    seq = [0]

    def send(command, **arguments):
        seq[0] += 1
        msg = kc.session.msg("debug_request", {
            "type": "request", "seq": seq[0], "command": command, "arguments": arguments,
        })
        kc.control_channel.send(msg)
        return msg["header"]["msg_id"]

    def request(command, **arguments):
        return reply_to(kc, send(command, **arguments), "control")["content"]

    return send, request


def scenario_jupyterlab(cf, code, line):
    """What JupyterLab's debugger does: kernel_info, initialize, attach, debugInfo, dumpCell,
    setBreakpoints on the dumped path, configurationDone, the cell run (stopped on IOPub),
    stackTrace, scopes, variables, evaluate, richInspectVariables and kernel_info while
    stopped, continue, the cell's reply; then inspectVariables, richInspectVariables."""
    kc = client(cf)
    info = kc.kernel_info(reply=True, timeout=TIMEOUT)
    out = {"kernel_info_debugger": info["content"]["debugger"]}
    _, request = dap_client(kc)

    def dap(command, **arguments):
        rep = request(command, **arguments)
        if not rep.get("success"):
            raise RuntimeError(f"{command} failed: {rep}")
        return rep.get("body", {})

    dap("initialize", clientID="jupyterlab", adapterID="llmspell", pathFormat="path",
        linesStartAt1=True, columnsStartAt1=True, supportsVariableType=True)
    dap("attach")
    di = dap("debugInfo")
    out["debugInfo"] = di
    path = dap("dumpCell", code=code)["sourcePath"]
    out["sourcePath"] = path
    out["expected_path"] = (di["tmpFilePrefix"] + str(murmur2(code, di["hashSeed"]))
                            + di["tmpFileSuffix"])
    with open(path) as f:
        out["dumped"] = f.read()
    bps = dap("setBreakpoints", source={"path": path},
              breakpoints=[{"line": int(line)}], sourceModified=False)
    out["breakpoints"] = bps["breakpoints"]
    out["debugInfo_after"] = dap("debugInfo")
    dap("configurationDone")
    mid = kc.execute(code)
    stopped = wait_stopped(kc)
    out["stopped"] = stopped
    out["stoppedThreads"] = dap("debugInfo")["stoppedThreads"]
    frames = dap("stackTrace", threadId=1)["stackFrames"]
    out["frames"] = frames
    scopes = dap("scopes", frameId=frames[0]["id"])["scopes"]
    out["scopes"] = [s["name"] for s in scopes]
    locals_ = dap("variables", variablesReference=scopes[0]["variablesReference"])
    out["locals"] = {v["name"]: v["value"] for v in locals_["variables"]}
    out["evaluate"] = dap("evaluate", expression="x * 2", frameId=frames[0]["id"],
                          context="watch")["result"]
    out["rich_frame"] = dap("richInspectVariables", variableName="x",
                            frameId=frames[0]["id"])
    dap("copyToGlobals", srcVariableName="x", dstVariableName="copied",
        srcFrameId=frames[0]["id"])
    # The control channel answers while the cell is stopped; so does the shell's kernel_info
    # (it is not queued behind the running cell) and the heartbeat.
    t0 = time.time()
    out["kernel_info_while_stopped"] = kc.kernel_info(reply=True, timeout=10)["content"]["status"]
    out["hb_beating"] = kc.hb_channel.is_beating()
    out["kernel_info_elapsed"] = time.time() - t0
    dap("continue", threadId=1)
    r = reply_to(kc, mid)
    out["status"] = r["content"]["status"]
    out["inspect"] = {v["name"]: v["value"]
                      for v in dap("inspectVariables")["variables"]}
    out["rich"] = dap("richInspectVariables", variableName="result")
    _, io = run(kc, "copied")
    out["copied"] = result_text(io)
    dap("disconnect", restart=False, terminateDebuggee=False)
    kc.stop_channels()
    return out


def scenario_interrupt_stopped(cf, code, line):
    """A cell stopped at a breakpoint in its dumped file, then interrupt_request on control:
    the interrupt's reply, and the cell's reply (how long after the interrupt)."""
    kc = client(cf)
    _, dap = dap_client(kc)
    dap("initialize", clientID="jupyterlab", adapterID="llmspell")
    dap("attach")
    path = dap("dumpCell", code=code)["body"]["sourcePath"]
    dap("setBreakpoints", source={"path": path}, breakpoints=[{"line": int(line)}])
    dap("configurationDone")
    mid = kc.execute(code)
    stopped = wait_stopped(kc)
    msg = kc.session.msg("interrupt_request", {})
    t0 = time.time()
    kc.control_channel.send(msg)
    irep = reply_to(kc, msg["header"]["msg_id"], "control", timeout=10)
    r = reply_to(kc, mid)
    elapsed = time.time() - t0
    _, io = run(kc, "1 + 1")
    kc.stop_channels()
    return {
        "stopped": stopped is not None,
        "interrupt_status": irep["content"]["status"],
        "status": r["content"]["status"],
        "ename": r["content"].get("ename"),
        "elapsed": elapsed,
        "after": result_text(io),
    }


def scenario_pause_running(cf, *first_cells):
    """After `first_cells`, a cell that never ends; once it is busy a debugger attaches and
    pauses it: the stopped event (the pause reached the running chunk), then an interrupt
    ends the cell."""
    kc = client(cf)
    for code in first_cells:
        run(kc, code)
    mid = kc.execute("local n = 0\nwhile true do n = n + 1 end")
    for m in iopub(kc):
        if m["parent_header"].get("msg_id") == mid and m["msg_type"] == "execute_input":
            break
    _, dap = dap_client(kc)
    dap("initialize", clientID="jupyterlab", adapterID="llmspell")
    dap("attach")
    paused = dap("pause", threadId=1)
    stopped = wait_stopped(kc)
    msg = kc.session.msg("interrupt_request", {})
    kc.control_channel.send(msg)
    reply_to(kc, msg["header"]["msg_id"], "control")
    r = reply_to(kc, mid)
    _, io = run(kc, "1 + 1")
    kc.stop_channels()
    return {
        "pause_success": paused["success"],
        "stopped_reason": stopped["body"]["reason"] if stopped else None,
        "status": r["content"]["status"],
        "ename": r["content"].get("ename"),
        "after": result_text(io),
    }


def scenario_request_during_first_cell(cf):
    """The kernel's first cell waits for input; meanwhile a debugger attaches and asks for
    the threads; the input is given: the cell's reply, and the threads reply."""
    kc = client(cf)
    mid = kc.execute("local line = io.read('l')\nreturn line", allow_stdin=True)
    req = kc.get_stdin_msg(timeout=TIMEOUT)
    assert req["msg_type"] == "input_request", req
    send, dap = dap_client(kc)
    dap("initialize", clientID="jupyterlab", adapterID="llmspell")
    threads_id = send("threads")
    kc.input("typed")
    r = reply_to(kc, mid)
    threads = reply_to(kc, threads_id, "control")["content"]
    io = collect(kc, mid)
    kc.stop_channels()
    return {
        "status": r["content"]["status"],
        "result": result_text(io),
        "threads_success": threads["success"],
        "threads": threads.get("body", {}).get("threads"),
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


if __name__ == "__main__":
    dispatch(globals())
