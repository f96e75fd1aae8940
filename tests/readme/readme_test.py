#!/usr/bin/env python3
"""Runs the README's transcripts and compares what they print.

Every fenced block whose info string is `console` is a transcript: lines
starting with `$ ` are commands (a line ending in a backslash continues on
the next), the lines after a command, up to the next one, are what it
prints. Each block runs on its own, in a fresh folder holding the pictures
that PICTURES names, with `build/bin` first on PATH, through one bash
session (so variables, `export` and background jobs carry from one command
to the next).

What a command prints is compared line by line, blank lines ignored, after
masking:
  - `…` in the README stands for any text within a line;
  - runs of 8 or more hexadecimal digits (hashes, ids), and the hex digits
    either side of a `…`, match any hex digits of the same length, and
    RFC 3339 timestamps match any timestamp;
  - server log lines (`2026-…Z INFO …`) may interleave with the rest, from
    background jobs: the README's log lines (written `… INFO text`) must
    appear in that order among them, and log lines it does not show are
    ignored;
  - a command must exit 0 unless its output shows `[exit N]`.
The README's port 50071 and database /tmp/demo are replaced by a free port
and a folder inside the sandbox (and mapped back in what is printed).

  readme_test.py --readme README.md --bin build/bin --pictures TOOL
  readme_test.py --self-test
"""

import argparse
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

# The pictures every transcript finds in its folder (name -> seed for
# readme_pictures): unrelated synthetic pictures.
PICTURES = {"known.jpg": 11, "other.jpg": 12, "flagged.jpg": 13,
            "photo.jpg": 14}
END = "@@hw-readme-end@@"
# How long a command, or a log line a background job still owes, may take.
WAIT_SECONDS = 120

LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT[\d:.]+Z (DEBUG|INFO|WARN|WARNING|ERROR) ")
EXPECTED_LOG = re.compile(r"^… (DEBUG|INFO|WARN|WARNING|ERROR) ")
EXIT_LINE = re.compile(r"^\[exit (\d+)\]$")
TIMESTAMP = (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?"
             r"(?:Z|[+-]\d\d:\d\d)")
HEX_RUN = re.compile(r"(?<![0-9a-zA-Z])[0-9a-f]{8,}(?![0-9a-zA-Z])"
                     # the ends of an abridged hash: 54a9f7c3…b677
                     r"|(?<![0-9a-zA-Z])[0-9a-f]+(?=…)|(?<=…)[0-9a-f]+"
                     r"(?![0-9a-zA-Z])")


class Block:
    def __init__(self, line, steps):
        self.line = line      # 1-based line of the opening fence
        self.steps = steps    # [(command, [expected lines], readme line)]


def parse_blocks(text):
    blocks = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() != "```console":
            i += 1
            continue
        start = i + 1
        i += 1
        steps = []
        while i < len(lines) and lines[i].strip() != "```":
            line = lines[i]
            if line.startswith("$ "):
                cmd_line = i + 1
                cmd = line[2:]
                while cmd.endswith("\\") and i + 1 < len(lines):
                    i += 1
                    cmd = cmd[:-1] + "\n" + lines[i]
                steps.append((cmd, [], cmd_line))
            elif line.strip():
                if not steps:
                    raise ValueError(
                        f"README line {i + 1}: output before any command")
                steps[-1][1].append(line)
            i += 1
        if i >= len(lines):
            raise ValueError(f"README line {start}: unterminated block")
        blocks.append(Block(start, steps))
        i += 1
    return blocks


def line_pattern(expected):
    """The regular expression a printed line must match in full."""
    out = []
    pos = 0
    masks = []
    for m in re.finditer(TIMESTAMP, expected):
        masks.append((m.start(), m.end(), TIMESTAMP))
    for m in HEX_RUN.finditer(expected):
        if not any(s <= m.start() < e for s, e, _ in masks):
            masks.append((m.start(), m.end(),
                          "[0-9a-f]{%d}" % (m.end() - m.start())))
    masks.sort()
    for s, e, pattern in masks:
        out.append(_literal(expected[pos:s]))
        out.append(pattern)
        pos = e
    out.append(_literal(expected[pos:]))
    return re.compile("".join(out))


def _literal(text):
    return ".*?".join(re.escape(part) for part in text.split("…"))


def matches(expected, got):
    return line_pattern(expected.rstrip()).fullmatch(got.rstrip()) is not None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Session:
    """One bash process; its stdout and stderr read line by line."""

    def __init__(self, cwd, env):
        self.proc = subprocess.Popen(
            ["bash", "--noprofile", "--norc"], cwd=cwd, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            self.lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
        self.lines.put(None)

    def send(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def next_line(self, deadline):
        try:
            return self.lines.get(timeout=max(0.0, deadline - time.time()))
        except queue.Empty:
            return None

    def close(self):
        try:
            self.send("kill $(jobs -p) 2>/dev/null; wait; exit 0\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=WAIT_SECONDS)
        except (OSError, subprocess.TimeoutExpired):
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()


def run_block(block, bin_dir, pictures_tool, out):
    """Runs one transcript; returns a list of failure messages."""
    sandbox = tempfile.mkdtemp(prefix="hw_readme_")
    try:
        if pictures_tool:
            subprocess.run([pictures_tool, sandbox] +
                           [f"{n}={s}" for n, s in PICTURES.items()],
                           check=True)
        port = str(free_port())
        demo_db = os.path.join(sandbox, "demo")
        to_sandbox = [("50071", port), ("/tmp/demo", demo_db)]
        env = {"PATH": (bin_dir + ":" if bin_dir else "") + "/usr/bin:/bin",
               "HOME": sandbox, "TMPDIR": sandbox, "LANG": "C.UTF-8",
               "TZ": "UTC",
               "HASHWATCH_LOG_LEVEL": "info"}
        session = Session(sandbox, env)
        failures = []
        logs = []          # log lines not yet matched, oldest first
        try:
            for cmd, expected, where in block.steps:
                for a, b in to_sandbox:
                    cmd = cmd.replace(a, b)
                session.send(cmd + f"\necho \"{END} $?\"\n")
                printed, status = [], None
                deadline = time.time() + WAIT_SECONDS
                while status is None:
                    line = session.next_line(deadline)
                    if line is None:
                        failures.append(f"README line {where}: `{cmd}` did "
                                        "not finish")
                        return failures
                    for a, b in reversed(to_sandbox):
                        line = line.replace(b, a)
                    if line.startswith(END):
                        status = int(line.split()[1])
                    elif LOG_LINE.match(line):
                        logs.append(line)
                    else:
                        printed.append(line)
                printed = [p for p in printed if p.strip()]
                want_exit = 0
                want_plain, want_logs = [], []
                for e in expected:
                    m = EXIT_LINE.match(e.strip())
                    if m:
                        want_exit = int(m.group(1))
                    elif EXPECTED_LOG.match(e):
                        want_logs.append(e)
                    else:
                        want_plain.append(e)
                problem = None
                if status != want_exit:
                    problem = f"exit status {status}, README shows {want_exit}"
                elif len(printed) != len(want_plain) or not all(
                        matches(e, g) for e, g in zip(want_plain, printed)):
                    problem = "printed lines differ"
                else:
                    # Each log line shown must arrive, in order (background
                    # jobs may still be writing).
                    for e in want_logs:
                        while True:
                            found = next((k for k, l in enumerate(logs)
                                          if matches(e, l)), None)
                            if found is not None:
                                del logs[:found + 1]
                                break
                            line = session.next_line(deadline)
                            if line is None:
                                problem = f"no log line like `{e}`"
                                break
                            for a, b in reversed(to_sandbox):
                                line = line.replace(b, a)
                            if line.strip():
                                logs.append(line)
                        if problem:
                            break
                if problem:
                    failures.append(
                        f"README line {where}: `{cmd}`: {problem}\n"
                        "  README shows:\n" +
                        "".join(f"    {e}\n" for e in expected) +
                        "  it printed:\n" +
                        "".join(f"    {p}\n" for p in printed) +
                        "".join(f"    (log) {l}\n" for l in logs[-10:]))
                    return failures
                print(f"  README line {where}: ok", file=out)
        finally:
            session.close()
        return failures
    finally:
        shutil.rmtree(sandbox, ignore_errors=True)


def self_test():
    """The runner against transcripts that must pass and that must fail."""
    good = """
```console
$ X=abc; echo "value $X 0123456789abcdef 2026-11-29T21:37:56+00:00"
value abc fedcba9876543210 2026-12-07T08:00:00+00:00
$ echo "one	two	three"; echo; echo "hwt_3f9c0011e41a"
one	…	three
hwt_abcd…0123
$ (sleep 0.2; echo "2026-12-07T08:00:00.123Z INFO serving on 127.0.0.1:50071 (x)" >&2) &
… INFO serving on 127.0.0.1:50071 …
$ echo late; false
late
[exit 1]
```
"""
    bad = [
        "```console\n$ echo one\ntwo\n```\n",                # wrong text
        "```console\n$ echo one; echo two\none\n```\n",      # a line more
        "```console\n$ echo 0123abcd\n0123abcdef\n```\n",    # hex length
        "```console\n$ echo hwt_12z4\nhwt_…1234\n```\n",       # not hex
        "```console\n$ false\n```\n",                        # exit status
        "```console\n$ echo x\nx\n… INFO never printed\n```\n",
    ]
    failures = []
    global WAIT_SECONDS
    WAIT_SECONDS = 5
    blocks = parse_blocks(good)
    if len(blocks) != 1 or len(blocks[0].steps) != 4:
        failures.append("the good transcript did not parse into 4 steps")
    elif run_block(blocks[0], "", None, open(os.devnull, "w")):
        failures.append("the good transcript failed: " +
                        "".join(run_block(blocks[0], "", None, sys.stdout)))
    for text in bad:
        if not run_block(parse_blocks(text)[0], "", None,
                         open(os.devnull, "w")):
            failures.append(f"a wrong transcript passed:\n{text}")
    for f in failures:
        print(f"FAIL: {f}")
    print("self-test: " + ("FAILED" if failures else "ok"))
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--readme")
    parser.add_argument("--bin")
    parser.add_argument("--pictures")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    if not (args.readme and args.bin and args.pictures):
        parser.error("--readme, --bin and --pictures are required")
    with open(args.readme, encoding="utf-8") as f:
        blocks = parse_blocks(f.read())
    if not blocks:
        print(f"{args.readme}: no ```console transcripts")
        return 1
    failures = []
    for block in blocks:
        print(f"transcript at README line {block.line}:")
        failures += run_block(block, os.path.abspath(args.bin),
                              os.path.abspath(args.pictures), sys.stdout)
    for f in failures:
        print(f"FAIL: {f}")
    print(f"{len(blocks)} transcripts, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
