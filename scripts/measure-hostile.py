#!/usr/bin/env python3
"""Measures what hostile clients cost a fresh `hashwatch serve` (issue 12):

  rss      server RSS growth under 6 concurrent 60 MiB unauthenticated Scans
  threads  server threads with 300 idle streams (10 connections x 30 Watch)
  stalled  Scan latency alone, then with ten ScanStream clients that never
           read their answers

Usage: scripts/measure-hostile.py HASHWATCH_BINARY [rss|threads|stalled ...]

Starts the server itself (plaintext on 127.0.0.1, a temporary database),
prints one line per figure. Needs python3-grpcio; no generated modules (the
few messages are encoded by hand). A measurement, not a test: it asserts
nothing.
"""
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import grpc

SCAN = "/hashwatch.v1.ScanService/Scan"
SCAN_STREAM = "/hashwatch.v1.ScanService/ScanStream"
WATCH = "/hashwatch.v1.ReportService/Watch"
PICTURE = os.path.join(os.path.dirname(__file__), "..", "testdata",
                       "pictures", "b001.jpg")


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, payload):  # length-delimited
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def scan_request(content_id, image=None, md5=None):
    msg = field(1, content_id.encode())
    if image is not None:
        msg += field(2, image)
    if md5 is not None:
        msg += field(3, field(3, md5.encode()))  # Hashes.md5 = 3
    return msg


def status_of(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class Server:
    def __init__(self, binary):
        self.dir = tempfile.TemporaryDirectory()
        db = os.path.join(self.dir.name, "db")
        self.tokens = {}
        for name, role in (("scanner", "pipeline"), ("lead", "lead")):
            out = subprocess.run(
                [binary, "token", "create", name, "--role", role, "--db", db],
                check=True, capture_output=True, text=True).stdout
            self.tokens[name] = next(w for w in out.split()
                                     if w.startswith("hwt_"))
        port_file = os.path.join(self.dir.name, "port")
        self.proc = subprocess.Popen(
            [binary, "serve", "--plaintext", "--db", db, "--listen",
             "127.0.0.1:0", "--port-file", port_file],
            stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while not os.path.exists(port_file):
            if time.time() > deadline or self.proc.poll() is not None:
                raise SystemExit("server did not start")
            time.sleep(0.05)
        self.address = "127.0.0.1:" + open(port_file).read().strip()

    def channel(self, **options):
        # A connection of its own per channel (grpc shares them otherwise).
        opts = [("grpc.max_send_message_length", -1),
                ("grpc.max_receive_message_length", -1),
                ("grpc.use_local_subchannel_pool", 1)]
        opts += list(options.items())
        return grpc.insecure_channel(self.address, options=opts)

    def auth(self, name):
        return [("authorization", "Bearer " + self.tokens[name])]

    def rss_mib(self):
        return status_of(self.proc.pid, "VmRSS") / 1024

    def threads(self):
        return status_of(self.proc.pid, "Threads")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        self.dir.cleanup()


def raw(channel, method, kind="unary_unary"):
    return getattr(channel, kind)(method, request_serializer=lambda b: b,
                                  response_deserializer=lambda b: b)


def measure_rss(server):
    big = scan_request("big", image=b"\xff" * (60 << 20))
    channels = [server.channel() for _ in range(6)]
    for c in channels:  # connected before the baseline
        grpc.channel_ready_future(c).result(timeout=10)
    time.sleep(0.5)
    before = peak = server.rss_mib()
    codes = []

    def call(c):
        try:
            raw(c, SCAN)(big, metadata=[("authorization", "Bearer hwt_" +
                                         "0" * 64)], timeout=60)
            codes.append("OK")
        except grpc.RpcError as e:
            codes.append(e.code().name)

    workers = [threading.Thread(target=call, args=(c,)) for c in channels]
    for w in workers:
        w.start()
    while any(w.is_alive() for w in workers):
        peak = max(peak, server.rss_mib())
        time.sleep(0.002)
    peak = max(peak, server.rss_mib())
    print(f"rss: before {before:.1f} MiB, peak {peak:.1f} MiB "
          f"(+{peak - before:.1f} MiB); answers {sorted(set(codes))}")


def measure_threads(server):
    before = server.threads()
    channels = [server.channel() for _ in range(10)]
    calls = []
    for c in channels:
        for _ in range(30):
            calls.append(raw(c, WATCH, "unary_stream")(
                b"", metadata=server.auth("lead"), timeout=120))
    time.sleep(3)  # let every stream reach the server
    during = server.threads()
    refused = sum(1 for c in calls if c.done() and
                  c.code() == grpc.StatusCode.RESOURCE_EXHAUSTED)
    print(f"threads: {before} before, {during} with 300 idle Watch streams "
          f"over 10 connections ({refused} refused RESOURCE_EXHAUSTED)")
    for c in calls:
        c.cancel()


def scan_latencies(server, channel, n=20, tag="x"):
    image = open(PICTURE, "rb").read()
    scan = raw(channel, SCAN)
    out = []
    for i in range(n):
        t = time.perf_counter()
        scan(scan_request(f"lat-{tag}-{i}", image=image),
             metadata=server.auth("scanner"), timeout=60)
        out.append(time.perf_counter() - t)
    return statistics.median(out) * 1000, max(out) * 1000


def measure_stalled(server):
    probe = server.channel()
    alone = scan_latencies(server, probe, tag="alone")
    stop = threading.Event()
    calls = []

    def requests(k):
        i = 0
        while not stop.is_set():
            yield scan_request(f"stalled-{k}-{i}", md5="%032x" % i)
            i += 1

    for k in range(10):
        c = server.channel(**{"grpc.http2.lookahead_bytes": 1024,
                              "grpc.http2.bdp_probe": 0})
        calls.append(raw(c, SCAN_STREAM, "stream_stream")(
            requests(k), metadata=server.auth("scanner"), timeout=300))
    time.sleep(3)  # the stalled streams fill their windows
    stalled = scan_latencies(server, probe, tag="stalled")
    print(f"stalled: Scan of b001.jpg median {alone[0]:.1f} ms (max "
          f"{alone[1]:.1f}) alone; median {stalled[0]:.1f} ms (max "
          f"{stalled[1]:.1f}) with ten stalled ScanStream readers")
    stop.set()
    for c in calls:
        c.cancel()


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    which = sys.argv[2:] or ["rss", "threads", "stalled"]
    for name in which:
        server = Server(sys.argv[1])  # a fresh server for each figure
        try:
            {"rss": measure_rss, "threads": measure_threads,
             "stalled": measure_stalled}[name](server)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
