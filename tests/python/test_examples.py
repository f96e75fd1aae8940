"""The Python examples (examples/scan.py, examples/review.py) against fake
servers in this process (grpc on port 0) or none at all: what they print
when a call or the whole stream fails, and what they leave on disk.
Hermetic: no hashwatch binary, no ../shared.

Registered in CTest as `python.examples`:

    cd build && ctest -R python --output-on-failure

or alone, after building the target hw_proto_python:

    /usr/bin/python3 tests/python/test_examples.py -v
"""

import concurrent.futures
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(REPO, "examples")
if EXAMPLES not in sys.path:
    sys.path.insert(0, EXAMPLES)

import grpc  # noqa: E402
import hashwatch_client as hw  # noqa: E402  (also puts build/python on the path)

TOOL_TIMEOUT = 60  # seconds, every example run
ERROR_LINE = re.compile(r"^([^\t]+)\tERROR\t-\t([A-Z_]+): (.+)$")


def closed_port():
    """A local port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeServer:
    """A grpc server on 127.0.0.1:0 with the given servicers."""

    def __init__(self, *adders):
        self.server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=4))
        for add, servicer in adders:
            add(servicer, self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        self.server.stop(grace=None).wait()


class RefusingScan(hw.scan_pb2_grpc.ScanServiceServicer):
    """Fails the whole stream, as the real server does for a bad token."""

    def ScanStream(self, request_iterator, context):
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "unknown token")


class SilentScan(hw.scan_pb2_grpc.ScanServiceServicer):
    """Reads the whole stream and answers nothing: the stream ends cleanly
    once the client closes it (the default servicer would fail it with
    UNIMPLEMENTED at once, racing the client's own per-file errors)."""

    def ScanStream(self, request_iterator, context):
        for _ in request_iterator:
            pass
        return iter(())


class FakeReview(hw.review_pb2_grpc.ReviewServiceServicer):
    """Leases item 7 (with a preview) once, then nothing. Decide calls
    `on_decide` (while review.py waits for the answer) and answers OK or
    fails with `decide_error`."""

    def __init__(self, decide_error=None, on_decide=None, stats_waiting=0):
        self.leased = False
        self.decide_error = decide_error
        self.on_decide = on_decide
        self.stats_waiting = stats_waiting
        self.released = threading.Event()

    def Lease(self, request, context):
        r = hw.review_pb2
        if self.leased:
            return r.LeaseResponse()
        self.leased = True
        item = r.ReviewItem(id=7, lane="proactive", content_id="c-7")
        return r.LeaseResponse(items=[r.LeasedItem(item=item, lease_id=99,
                                                   preview_jpeg=b"\xff\xd8 preview")])

    def Decide(self, request, context):
        if self.on_decide:
            self.on_decide()
        if self.decide_error:
            context.abort(self.decide_error, "decide failed on purpose")
        return hw.review_pb2.DecideResponse(
            decision=hw.review_pb2.Decision(kind=request.kind))

    def Release(self, request, context):
        self.released.set()
        return hw.review_pb2.ReleaseResponse()

    def Stats(self, request, context):
        r = hw.review_pb2
        return r.QueueStats(waiting=self.stats_waiting, lanes=[
            r.LaneStats(lane="proactive", waiting=self.stats_waiting),
            r.LaneStats(lane="user_report", waiting=0)])


class ExamplesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="hashwatch-examples-")
        self.addCleanup(self.tmp.cleanup)
        self.dir = self.tmp.name
        # The examples' own temporary folders go here, to be looked at.
        self.example_tmp = os.path.join(self.dir, "tmp")
        os.mkdir(self.example_tmp)

    def env(self):
        env = dict(os.environ)
        env["HASHWATCH_TOKEN"] = "hwt_test"
        env["TMPDIR"] = self.example_tmp
        return env

    def run_example(self, script, server, *args):
        return subprocess.run([sys.executable, os.path.join(EXAMPLES, script),
                               "--server", server, "--plaintext", *args],
                              env=self.env(), capture_output=True, text=True,
                              timeout=TOOL_TIMEOUT)

    def files(self, *names):
        paths = []
        for name in names:
            path = os.path.join(self.dir, name)
            with open(path, "wb") as f:
                f.write(b"\xff\xd8 not really a jpeg")
            paths.append(path)
        return paths

    def leftovers(self):
        return sorted(os.listdir(self.example_tmp))

    # ------------------------------------------------------------ scan.py --

    def test_scan_unreachable_server_gives_code_and_message_per_file(self):
        a, b = self.files("a.jpg", "b.jpg")
        r = self.run_example("scan.py", f"127.0.0.1:{closed_port()}", a, b)
        self.assertEqual(r.returncode, 1, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 2, r.stdout)
        for line, path in zip(lines, (a, b)):
            m = ERROR_LINE.match(line)
            self.assertIsNotNone(m, line)
            self.assertEqual(m.group(1), path)
            self.assertEqual(m.group(2), "UNAVAILABLE")
            self.assertIn("not scanned, the stream failed", m.group(3))
        self.assertRegex(r.stderr, r"scan: the stream failed: UNAVAILABLE: ")
        self.assertIn("scan: 2 files: 2 errors", r.stderr)

    def test_scan_refused_stream_gives_the_stream_code(self):
        server = FakeServer((hw.scan_pb2_grpc.add_ScanServiceServicer_to_server,
                             RefusingScan()))
        self.addCleanup(server.stop)
        a, b = self.files("a.jpg", "b.jpg")
        missing = os.path.join(self.dir, "missing.jpg")
        r = self.run_example("scan.py", server.address, a, b, missing)
        self.assertEqual(r.returncode, 1, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 3, r.stdout)
        codes = []
        for line in lines:
            m = ERROR_LINE.match(line)
            self.assertIsNotNone(m, line)
            codes.append(m.group(2))
        self.assertEqual(codes[:2], ["UNAUTHENTICATED", "UNAUTHENTICATED"])
        self.assertIn("unknown token", lines[0])
        # Never sent: its own reason if it was read before the stream
        # broke, the stream's otherwise.
        self.assertIn(codes[2], ("NOT_FOUND", "UNAUTHENTICATED"))
        self.assertIn("scan: the stream failed: UNAUTHENTICATED: unknown token", r.stderr)

        j = self.run_example("scan.py", server.address, "--json", a)
        self.assertEqual(j.returncode, 1, j.stderr)
        obj = json.loads(j.stdout)
        self.assertEqual(obj["file"], a)
        self.assertEqual(obj["error"]["code_name"], "UNAUTHENTICATED")
        self.assertEqual(obj["error"]["code"], grpc.StatusCode.UNAUTHENTICATED.value[0])
        self.assertTrue(obj["error"]["stream"])

    def test_scan_unreadable_file_without_server(self):
        # Every file is unreadable or too big, so nothing is sent and the
        # stream ends cleanly: each line still has its code.
        big = self.files("big.jpg")[0]
        missing = os.path.join(self.dir, "missing.jpg")
        server = FakeServer((hw.scan_pb2_grpc.add_ScanServiceServicer_to_server,
                             SilentScan()))
        self.addCleanup(server.stop)
        r = self.run_example("scan.py", server.address, "--max-bytes", "4", big, missing)
        self.assertEqual(r.returncode, 1, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual([ERROR_LINE.match(l).group(2) for l in lines],
                         ["RESOURCE_EXHAUSTED", "NOT_FOUND"], r.stdout)

    # ---------------------------------------------------------- review.py --

    def review_server(self, **kwargs):
        fake = FakeReview(**kwargs)
        server = FakeServer((hw.review_pb2_grpc.add_ReviewServiceServicer_to_server, fake))
        self.addCleanup(server.stop)
        return fake, server

    def test_review_private_temporary_folder_is_removed(self):
        seen = {}

        def look():  # review.py is waiting for Decide: its files exist now
            (folder,) = self.leftovers()
            path = os.path.join(self.example_tmp, folder)
            seen["folder_mode"] = stat.S_IMODE(os.lstat(path).st_mode)
            seen["files"] = {f: stat.S_IMODE(os.lstat(os.path.join(path, f)).st_mode)
                             for f in os.listdir(path)}

        fake, server = self.review_server(on_decide=look)
        r = self.run_example("review.py", server.address, "--decide", "skip")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(seen["folder_mode"], 0o700)
        self.assertEqual(seen["files"], {"item-7.jpg": 0o600})
        self.assertIn("skipped item 7", r.stdout)
        self.assertEqual(self.leftovers(), [])  # folder and preview gone

    def test_review_folder_is_removed_when_a_call_fails(self):
        fake, server = self.review_server(decide_error=grpc.StatusCode.UNAVAILABLE)
        r = self.run_example("review.py", server.address, "--decide", "skip")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("UNAVAILABLE", r.stderr)
        self.assertEqual(self.leftovers(), [])

        r = self.run_example("review.py", f"127.0.0.1:{closed_port()}", "--decide", "skip")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("lease failed: UNAVAILABLE", r.stderr)
        self.assertEqual(self.leftovers(), [])

    def test_review_folder_is_removed_on_interrupt_and_sigterm(self):
        for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
            with self.subTest(signal=sig.name):
                fake, server = self.review_server()
                proc = subprocess.Popen(
                    [sys.executable, os.path.join(EXAMPLES, "review.py"),
                     "--server", server.address, "--plaintext"],
                    env=self.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, text=True)
                # Interactive: it shows the item, then waits for an answer.
                for line in proc.stdout:
                    if line.startswith("  preview "):
                        break
                self.assertEqual(len(self.leftovers()), 1)
                proc.send_signal(sig)
                out, err = proc.communicate(timeout=TOOL_TIMEOUT)
                proc.stdin.close()
                self.assertEqual(proc.returncode, code, out + err)
                self.assertEqual(self.leftovers(), [])

    def test_review_preview_dir_must_be_private(self):
        fake, server = self.review_server()
        shared = os.path.join(self.dir, "shared")
        os.mkdir(shared)
        os.chmod(shared, 0o755)
        r = self.run_example("review.py", server.address, "--decide", "skip",
                             "--preview-dir", shared)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("open to other users (mode 0755)", r.stderr)
        self.assertFalse(fake.leased)

        mine = os.path.join(self.dir, "mine")
        r = self.run_example("review.py", server.address, "--decide", "skip",
                             "--preview-dir", mine)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(stat.S_IMODE(os.lstat(mine).st_mode), 0o700)
        self.assertEqual(os.listdir(mine), [])  # the decided item's preview is gone

    def test_review_empty_queue_says_items_are_hidden(self):
        fake, server = self.review_server(stats_waiting=2)
        fake.leased = True  # Lease answers nothing from the start
        r = self.run_example("review.py", server.address, "--decide", "skip")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("review: no items for you now: 2 waiting (proactive 2) are hidden "
                      "from you: an item you skip stays hidden from you for 2 hours",
                      r.stdout)
        fake.stats_waiting = 0
        r = self.run_example("review.py", server.address, "--decide", "skip")
        self.assertIn("review: the queue is empty", r.stdout)


if __name__ == "__main__":
    unittest.main()
