"""End-to-end test of the hashwatch server binary from Python: the real
`hashwatch serve` process (plaintext, a temporary database, port 0), tokens
made with the `hashwatch token` CLI, the generated Python stubs and the two
examples (examples/scan.py, examples/review.py).

Registered in CTest as `python.integration`:

    cd build && ctest -R python --output-on-failure

or alone, after building the targets hashwatch and hw_proto_python:

    /usr/bin/python3 tests/python/test_integration.py -v

Environment (CTest sets both): HASHWATCH_BIN, the folder holding the
`hashwatch` binary (default build/bin); PYTHONPATH with build/python (the
generated modules) and examples/ (found relative to this file too). The
pictures are the repository's testdata/pictures/*.jpg.
"""

import hashlib
import json
import os
import re
import shutil
import signal
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

BIN = os.environ.get("HASHWATCH_BIN") or os.path.join(REPO, "build", "bin")
HASHWATCH = os.path.join(BIN, "hashwatch")
CORPUS = os.path.join(REPO, "testdata", "pictures")

START_TIMEOUT = 30  # seconds for the server to say "serving on"
CALL_TIMEOUT = 20   # seconds, every RPC
TOOL_TIMEOUT = 60   # seconds, every CLI or example run

SERVING = re.compile(r"serving on (\S+):(\d+) \(plaintext\)")


# util-linux's setpriv (essential on Debian) starts the server with
# PR_SET_PDEATHSIG, so a server never outlives its test process (a CTest
# timeout, a crash); the class cleanups stop it on every ordinary exit.
SETPRIV = shutil.which("setpriv")
DIE_WITH_PARENT = [SETPRIV, "--pdeathsig", "KILL", "--"] if SETPRIV else []


def corpus(name):
    with open(os.path.join(CORPUS, name), "rb") as f:
        return f.read()


class ServerProcess:
    """`hashwatch serve` as a child process. start() returns once the
    server has logged "serving on HOST:PORT" (its listening port is bound
    then), read from its stderr by a thread; a server that exits first, or
    says nothing for START_TIMEOUT seconds, fails with its log."""

    def __init__(self, db, workdir):
        self.db = db
        self.workdir = workdir
        self.proc = None
        self.port = None
        self.starts = 0
        self.log = []

    def start(self):
        assert self.proc is None, "already running"
        self.starts += 1
        port_file = os.path.join(self.workdir, f"port-{self.starts}")
        self.log = []
        serving = threading.Event()
        found = {}
        # stdout joins stderr: the server prints nothing else, and anything
        # it does print belongs in the failure message.
        self.proc = subprocess.Popen(
            DIE_WITH_PARENT + [HASHWATCH, "serve", "--plaintext", "--db", self.db,
                               "--listen", "127.0.0.1:0", "--port-file", port_file],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, errors="replace")

        def read(proc, log):
            for line in proc.stdout:
                log.append(line.rstrip("\n"))
                m = SERVING.search(line)
                if m and not serving.is_set():
                    found["port"] = int(m.group(2))
                    serving.set()
            serving.set()  # EOF: the process is gone (or closed its output)

        self.reader = threading.Thread(target=read, args=(self.proc, self.log), daemon=True)
        self.reader.start()
        if not serving.wait(START_TIMEOUT):
            self.kill()
            raise AssertionError(f"hashwatch serve did not log 'serving on' within "
                                 f"{START_TIMEOUT} s:\n{self.log_text()}")
        if "port" not in found:
            rc = self.proc.wait(timeout=10)
            self._reap()
            raise AssertionError(f"hashwatch serve exited ({rc}) before serving:\n"
                                 f"{self.log_text()}")
        self.port = found["port"]
        with open(port_file) as f:  # written (atomically) before the log line
            written = f.read().strip()
        if written != str(self.port):
            raise AssertionError(f"port file says {written!r}, the log says {self.port}")
        return self.port

    def address(self):
        return f"127.0.0.1:{self.port}"

    def kill(self):
        """SIGKILL: no shutdown code runs."""
        self.proc.send_signal(signal.SIGKILL)
        rc = self.proc.wait(timeout=10)
        self._reap()
        return rc

    def terminate(self):
        """SIGTERM: the graceful shutdown; returns the exit status."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"hashwatch serve ignored SIGTERM for 30 s:\n{self.log_text()}")
        self._reap()
        return rc

    def stop_quietly(self):
        """For cleanups: whatever state it is in, make sure it is gone."""
        if self.proc is not None:
            try:
                self.terminate()
            except AssertionError:
                pass

    def _reap(self):
        self.reader.join(timeout=10)
        self.proc.stdout.close()
        self.proc = None

    def log_text(self):
        return "\n".join("    " + line for line in self.log[-40:])


def cli(*args):
    """Runs `hashwatch ARGS...`; returns stdout, failing with stderr."""
    r = subprocess.run([HASHWATCH, *args], capture_output=True, text=True, timeout=TOOL_TIMEOUT)
    if r.returncode != 0:
        raise AssertionError(f"hashwatch {' '.join(args)} exited {r.returncode}: {r.stderr}")
    return r.stdout


class IntegrationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(HASHWATCH):
            raise RuntimeError(f"{HASHWATCH} not found (set HASHWATCH_BIN, or build the "
                               "target hashwatch)")
        cls.tmp = tempfile.TemporaryDirectory(prefix="hashwatch-pytest-")
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.dir = cls.tmp.name
        db = os.path.join(cls.dir, "db")
        os.makedirs(db)
        cls.token = {}
        for name, role in (("root", "admin"), ("uploads", "pipeline"), ("lead-py", "lead")):
            cls.token[role] = cli("token", "create", name, "--role", role, "--db", db).strip()
        cls.server = ServerProcess(db, cls.dir)
        # Runs even when setUpClass fails half-way (tearDownClass does not).
        cls.addClassCleanup(cls.server.stop_quietly)
        cls.connect()
        # Made while the server runs: it sees new tokens at once.
        cls.token["moderator"] = cli("token", "create", "mod-py", "--role", "moderator",
                                     "--db", db).strip()
        cls.token["moderator-2"] = cli("token", "create", "mod-py-2", "--role", "moderator",
                                       "--db", db).strip()
        cls.bank_known_image()

    @classmethod
    def tearDownClass(cls):
        if cls.server.proc is not None:
            cls.channel.close()
            rc = cls.server.terminate()
            if rc != 0:
                raise AssertionError(f"SIGTERM: hashwatch serve exited {rc}:\n"
                                     f"{cls.server.log_text()}")

    @classmethod
    def connect(cls):
        """(Re)starts the server and the stubs."""
        cls.server.start()
        cls.channel = hw.connect(cls.server.address(), plaintext=True)
        cls.scan = hw.scan_pb2_grpc.ScanServiceStub(cls.channel)
        cls.banks = hw.bank_pb2_grpc.BankServiceStub(cls.channel)
        cls.review = hw.review_pb2_grpc.ReviewServiceStub(cls.channel)
        cls.reports = hw.report_pb2_grpc.ReportServiceStub(cls.channel)

    @classmethod
    def as_(cls, role):
        return hw.auth(cls.token[role])

    @classmethod
    def bank_known_image(cls):
        """An admin makes bank `hotline` holding b011.jpg's PDQ (as the Hash
        RPC computes it) and MD5."""
        h = cls.scan.Hash(hw.scan_pb2.HashRequest(image=corpus("b011.jpg")),
                          metadata=cls.as_("pipeline"), timeout=CALL_TIMEOUT).hashes
        if len(h.pdq) != 64 or h.pdq_quality != 100 or len(h.md5) != 32:
            raise AssertionError(f"Hash(b011.jpg) answered {h}")
        cls.b011 = h
        policy = hw.bank_pb2.BankPolicy(auto_report_distance=10, review_distance=31,
                                        min_quality=50, auto_report_enabled=True)
        cls.banks.CreateBank(hw.bank_pb2.CreateBankRequest(name="hotline", policy=policy),
                             metadata=cls.as_("admin"), timeout=CALL_TIMEOUT)
        P = hw.common_pb2
        add = hw.bank_pb2.AddEntriesRequest(bank="hotline", entries=[
            hw.bank_pb2.NewEntry(signal=P.SIGNAL_TYPE_PDQ, value=h.pdq, category="A",
                                 source="py-list-1"),
            hw.bank_pb2.NewEntry(signal=P.SIGNAL_TYPE_MD5, value=h.md5, category="A",
                                 source="py-list-1"),
        ])
        result = cls.banks.AddEntries(iter([add]), metadata=cls.as_("admin"),
                                      timeout=CALL_TIMEOUT)
        if result.added != 2:
            raise AssertionError(f"AddEntries answered {result}")

    def run_example(self, script, *args, token_role=None, env_extra=None):
        env = dict(os.environ)
        env.pop("HASHWATCH_TOKEN", None)
        if token_role:
            env["HASHWATCH_TOKEN"] = self.token[token_role]
        env.update(env_extra or {})
        return subprocess.run([sys.executable, os.path.join(EXAMPLES, script),
                               "--server", self.server.address(), "--plaintext", *args],
                              env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT)

    def folder(self, name, files):
        """A folder under the test's temporary directory: {file: bytes}."""
        path = os.path.join(self.dir, name)
        os.makedirs(path)
        for file, data in files.items():
            with open(os.path.join(path, file), "wb") as f:
                f.write(data)
        return path

    # ------------------------------------------------------------- tests --

    def test_admin_bank_holds_both_hashes(self):
        stats = self.banks.GetStats(hw.bank_pb2.GetStatsRequest(name="hotline"),
                                    metadata=self.as_("lead"), timeout=CALL_TIMEOUT)
        self.assertEqual(stats.entries, 2)
        self.assertEqual(dict(stats.by_signal), {"pdq": 1, "md5": 1})
        self.assertEqual(dict(stats.by_category), {"A": 2})

    def test_health_and_reflection(self):
        identity = dict(request_serializer=lambda b: b, response_deserializer=lambda b: b)
        check = self.channel.unary_unary("/grpc.health.v1.Health/Check", **identity)
        # HealthCheckRequest{service: ""} -> HealthCheckResponse{status: SERVING (1)}
        self.assertEqual(check(b"", timeout=CALL_TIMEOUT), b"\x08\x01")

        # Reflection is off unless configured ("reflection": true), and every
        # call but health checks needs a token first.
        info = self.channel.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", **identity)
        # ServerReflectionRequest{list_services: ""} (field 7, length 0)
        for metadata, code in ((None, grpc.StatusCode.UNAUTHENTICATED),
                               (self.as_("lead"), grpc.StatusCode.UNIMPLEMENTED)):
            with self.assertRaises(grpc.RpcError) as refused:
                list(info(iter([b"\x3a\x00"]), metadata=metadata, timeout=CALL_TIMEOUT))
            self.assertEqual(refused.exception.code(), code)

    def test_tokens_and_roles(self):
        lease = hw.review_pb2.LeaseRequest(max_items=1)
        with self.assertRaises(grpc.RpcError) as none:
            self.review.Lease(lease, timeout=CALL_TIMEOUT)
        self.assertEqual(none.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        with self.assertRaises(grpc.RpcError) as pipeline:
            self.review.Lease(lease, metadata=self.as_("pipeline"), timeout=CALL_TIMEOUT)
        self.assertEqual(pipeline.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        self.assertIn("pipeline", pipeline.exception.details())

        # The examples say what went wrong.
        folder = self.folder("roles", {"b020.jpg": corpus("b020.jpg")})
        r = self.run_example("scan.py", folder)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("HASHWATCH_TOKEN", r.stderr)
        r = self.run_example("scan.py", folder, env_extra={"HASHWATCH_TOKEN": "hwt_" + "0" * 64})
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("UNAUTHENTICATED", r.stderr)
        self.assertRegex(r.stdout, r"b020\.jpg\tERROR\t-\tUNAUTHENTICATED: not scanned")
        r = self.run_example("review.py", "--decide", "skip", "--preview-dir",
                             os.path.join(self.dir, "previews-roles"), token_role="pipeline")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("PERMISSION_DENIED", r.stderr)

    def test_scan_folder(self):
        folder = self.folder("uploads", {
            "b011.jpg": corpus("b011.jpg"),          # banked: auto-reported
            "b020.jpg": corpus("b020.jpg"),          # unrelated
            "notes.txt": b"this is not an image\n",  # an error line
        })
        r = self.run_example("scan.py", folder, token_role="pipeline")
        self.assertEqual(r.returncode, 1, f"an item failed, so exit 1\n{r.stdout}{r.stderr}")
        lines = [line.split("\t") for line in r.stdout.splitlines()]
        self.assertEqual([os.path.basename(f[0]) for f in lines],
                         ["b011.jpg", "b020.jpg", "notes.txt"], r.stdout)
        for fields in lines:
            self.assertEqual(len(fields), 4, fields)
        known, other, text = lines
        self.assertEqual(known[1:3], ["AUTO_REPORTED", "hotline:0"], r.stdout)
        self.assertRegex(known[3], r"^r-[0-9a-f]{16}$")
        self.assertEqual(other[1:], ["NO_MATCH", "-", "-"])
        self.assertEqual(text[1:3], ["ERROR", "-"])
        self.assertIn("INVALID_ARGUMENT", text[3])
        self.assertIn("1 AUTO_REPORTED, 1 NO_MATCH, 1 error", r.stderr)

        report = self.reports.Get(hw.report_pb2.GetReportRequest(id=known[3]),
                                  metadata=self.as_("lead"), timeout=CALL_TIMEOUT)
        self.assertEqual(report.origin, hw.report_pb2.REPORT_ORIGIN_AUTOMATIC)
        self.assertEqual(report.content_id, hashlib.sha256(corpus("b011.jpg")).hexdigest())
        self.assertEqual(report.hashes.md5, self.b011.md5)
        self.assertEqual({(e.bank, e.source, e.category) for e in report.evidence},
                         {("hotline", "py-list-1", "A")})

        # Again, as JSON: the same answers, replayed, nothing new filed.
        r = self.run_example("scan.py", "--json", folder, token_role="pipeline")
        self.assertEqual(r.returncode, 1, r.stderr)
        objs = [json.loads(line) for line in r.stdout.splitlines()]
        self.assertEqual(len(objs), 3, r.stdout)
        self.assertEqual(objs[0]["verdict"], "AUTO_REPORTED")
        self.assertTrue(objs[0]["replayed"])
        self.assertEqual(objs[0]["report_id"], known[3])
        self.assertEqual(objs[0]["matches"][0]["distance"], 0)
        self.assertEqual(objs[1]["verdict"], "NO_MATCH")
        self.assertEqual(objs[2]["error"]["code_name"], "INVALID_ARGUMENT")

    def test_flagged_scan_is_reviewed_and_confirmed(self):
        folder = self.folder("flagged", {"b031.jpg": corpus("b031.jpg")})
        r = self.run_example("scan.py", "--json", "--classifier-score", "0.95", folder,
                             token_role="pipeline")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        scanned = json.loads(r.stdout)
        self.assertEqual(scanned["verdict"], "QUEUED_FOR_REVIEW", scanned)
        self.assertTrue(scanned["novel"])
        item_id = int(scanned["item_id"])

        previews = os.path.join(self.dir, "previews")
        # Only its lane: test_review_stops_at_the_exposure_limit fills another.
        r = self.run_example("review.py", "--decide", "confirm", "--category", "A",
                             "--lane", "proactive", "--preview-dir", previews,
                             token_role="moderator")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"item {item_id}  lane proactive  kind NOVEL", r.stdout)
        m = re.search(rf"confirmed item {item_id} as A: report (r-[0-9a-f]{{16}})", r.stdout)
        self.assertIsNotNone(m, r.stdout)
        self.assertIn("review: the queue is empty", r.stdout)
        # Written to the folder while the item was shown, removed once decided.
        preview = os.path.join(previews, f"item-{item_id}.jpg")
        self.assertIn(f"  preview {preview} (blurred, greyscale)", r.stdout)
        self.assertEqual(os.listdir(previews), [])
        self.assertEqual(os.stat(previews).st_mode & 0o777, 0o700)

        # A submitter watching from the start sees the moderator's report.
        watch = self.reports.Watch(hw.report_pb2.WatchReportsRequest(after_sequence=0),
                                   metadata=self.as_("lead"), timeout=15)
        seen = None
        try:
            for report in watch:
                if report.review_item_id == item_id:
                    seen = report
                    break
        except grpc.RpcError as e:
            self.fail(f"Watch ended before the confirm's report: {hw.status_line(e)}")
        finally:
            watch.cancel()
        self.assertEqual(seen.id, m.group(1))
        self.assertEqual(seen.origin, hw.report_pb2.REPORT_ORIGIN_MODERATOR_CONFIRM)
        self.assertTrue(seen.viewed_by_platform)
        self.assertEqual(seen.viewed_by, "mod-py")
        self.assertEqual(seen.category, "A")

        # Decided, the item is no longer the moderator's to read; a lead reads it.
        with self.assertRaises(grpc.RpcError) as denied:
            self.review.GetItem(hw.review_pb2.GetItemRequest(item_id=item_id),
                                metadata=self.as_("moderator"), timeout=CALL_TIMEOUT)
        self.assertEqual(denied.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        item = self.review.GetItem(hw.review_pb2.GetItemRequest(item_id=item_id),
                                   metadata=self.as_("lead"), timeout=CALL_TIMEOUT)
        self.assertEqual(item.state, hw.review_pb2.ITEM_STATE_DECIDED)

    def test_review_stops_at_the_exposure_limit(self):
        # The server's welfare rule: a break after 25 items in a row.
        for i in range(26):
            self.review.EnqueueCase(
                hw.review_pb2.EnqueueCaseRequest(content_id=f"case-{i}", lane="user_report",
                                                 summary=f"test case {i}"),
                metadata=self.as_("pipeline"), timeout=CALL_TIMEOUT)
        r = self.run_example("review.py", "--decide", "reject", "--lane", "user_report",
                             "--preview-dir", os.path.join(self.dir, "previews-break"),
                             token_role="moderator-2")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("summary: test case 0", r.stdout)
        self.assertIn("no preview", r.stdout)
        self.assertRegex(r.stdout, r"review: .*take a break until \S+")
        self.assertIn("review: decided 25 items (25 reject)", r.stdout)

    def test_crash_durability_and_graceful_stop(self):
        cls = type(self)
        request = hw.scan_pb2.ScanRequest(content_id="crash-1", image=corpus("b011.jpg"))
        first = self.scan.Scan(request, metadata=self.as_("pipeline"), timeout=CALL_TIMEOUT)
        self.assertEqual(first.verdict, hw.scan_pb2.AUTO_REPORTED, first.reason)

        # Acknowledged, so it must survive a crash: SIGKILL, then restart.
        self.channel.close()
        self.assertEqual(self.server.kill(), -signal.SIGKILL)
        cls.connect()
        report = self.reports.Get(hw.report_pb2.GetReportRequest(id=first.report_id),
                                  metadata=self.as_("lead"), timeout=CALL_TIMEOUT)
        self.assertEqual(report.content_id, "crash-1")
        again = self.scan.Scan(request, metadata=self.as_("pipeline"), timeout=CALL_TIMEOUT)
        self.assertTrue(again.replayed)
        self.assertEqual(again.verdict, hw.scan_pb2.AUTO_REPORTED)
        self.assertEqual(again.report_id, first.report_id)

        # SIGTERM: a graceful stop, exit 0; then back up for the other tests.
        self.channel.close()
        rc = self.server.terminate()
        self.assertEqual(rc, 0, self.server.log_text())
        self.assertIn("stopped; databases closed", self.server.log[-1])
        cls.connect()


if __name__ == "__main__":
    unittest.main()
