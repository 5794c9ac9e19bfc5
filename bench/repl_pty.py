"""Keystroke latency through a real pseudo-terminal (bench/repl.ts runs this).

Starts a program on a pty, waits for its prompt, then times key -> redraw: the time from
writing a key to the master until the program's answer to it has been read back.

usage: repl_pty.py MODE N PROMPT TABTEXT -- CMD...   (MODE: llmspell | readline)
Prints one JSON line: {"type": [ms, ...], ...}.
"""
import fcntl, json, os, pty, re, select, struct, subprocess, sys, termios, time

mode, n, prompt, tabtext = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4].encode()
cmd = sys.argv[sys.argv.index("--") + 1:]

master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                        env={**os.environ, "NO_COLOR": "1", "TERM": "xterm"})
os.close(slave)
buf = b""

def read_until(pattern, timeout=20.0):
    """Reads until `pattern` (a compiled bytes regex) matches what came since the call."""
    global buf
    seen = b""
    deadline = time.monotonic() + timeout
    while not pattern.search(seen):
        left = deadline - time.monotonic()
        if left <= 0:
            raise SystemExit(f"timeout waiting for {pattern.pattern!r}; got {seen[-300:]!r}")
        r, _, _ = select.select([master], [], [], left)
        if r:
            chunk = os.read(master, 65536)
            if not chunk:
                raise SystemExit(f"program ended; got {seen[-300:]!r}")
            seen += chunk
    return seen

def timed(key, pattern):
    t0 = time.perf_counter()
    os.write(master, key)
    read_until(pattern)
    return (time.perf_counter() - t0) * 1000

read_until(re.compile(re.escape(prompt)), 60)
time.sleep(0.3)  # let start-up output settle before measuring (not a synchronisation)
while select.select([master], [], [], 0)[0]:
    os.read(master, 65536)

out = {"key": [], "tab": []}
if mode == "llmspell":
    # Each redraw ends by placing the cursor: ESC[<col>C after the prompt and the text.
    col = len(prompt)
    for _ in range(n):
        out["key"].append(timed(b"a", re.compile(rb"\r\x1b\[%dC" % (col + 1))))
        out["key"].append(timed(b"\x7f", re.compile(rb"\r\x1b\[%dC" % col)))
    for _ in range(max(5, n // 10)):
        end = col + len(tabtext)
        os.write(master, tabtext)
        read_until(re.compile(rb"\r\x1b\[%dC" % end))
        # Candidates listed and the prompt drawn again below them.
        out["tab"].append(timed(b"\t", re.compile(rb"upper[\s\S]*\r\x1b\[%dC" % end)))
        os.write(master, b"\x15")
        read_until(re.compile(rb"\r\x1b\[%dC" % col))
else:
    # GNU readline echoes the character, and answers backspace with "\b \b" or ESC[K.
    for _ in range(n):
        out["key"].append(timed(b"a", re.compile(rb"a")))
        out["key"].append(timed(b"\x7f", re.compile(rb"\x08|\x1b\[K")))
    for _ in range(max(5, n // 10)):
        os.write(master, tabtext)
        read_until(re.compile(rb"\."))
        out["tab"].append(timed(b"\t\t", re.compile(rb"upper")))
        os.write(master, b"\x15")
        time.sleep(0.05)
        while select.select([master], [], [], 0)[0]:
            os.read(master, 65536)
proc.kill()
print(json.dumps(out))
