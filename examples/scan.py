#!/usr/bin/python3
"""Scan image files with a hashwatch server, over one ScanStream.

    export HASHWATCH_TOKEN=hwt_...        # a pipeline (or admin) token
    /usr/bin/python3 examples/scan.py --server 127.0.0.1:50051 --plaintext DIR_OR_FILES...

Every regular file of a folder is sent (hidden files and sub-folders are
left out unless --recursive; the server decides what is an image, and a
file it cannot decode is an error line). The content id, the server's
idempotency key, is the SHA-256 of the file by default, so scanning the same
bytes again answers the first verdict (`replayed`) and files nothing new.

One line per file, in order, tab-separated:

    FILE  VERDICT  BANK:DISTANCE|-  REPORT_ID|ITEM_ID|-
    FILE  ERROR    -                CODE: message

VERDICT is NO_MATCH, AUTO_REPORTED (then the report id), QUEUED_FOR_REVIEW
(then the review item id) or ALLOWED; BANK:DISTANCE is the closest match.
CODE is a gRPC status code name in every ERROR line: the server's for a
file it refused; the stream's for every file left without an answer when
the whole stream fails (e.g. UNAVAILABLE: the server cannot be reached,
UNAUTHENTICATED: a bad token); and for files never sent, NOT_FOUND or
PERMISSION_DENIED (cannot read) or RESOURCE_EXHAUSTED (over --max-bytes).
--json prints one JSON object per line instead (the ScanResponse in
protobuf's JSON form, field names as in the .proto, plus "file"); an
error is {"file", "error": {"code", "code_name", "message"}}, with
"local": true for files never sent and "stream": true for files the
failed stream left unanswered.
A summary goes to stderr. Exit status: 0 every file scanned, 1 any file
failed (or the stream broke), 2 usage error.
"""

import argparse
import collections
import errno
import hashlib
import json
import os
import sys

try:
    import hashwatch_client as hw
except ImportError as e:
    sys.exit(f"scan: {e}")

from google.protobuf import json_format
import grpc

_CODE_NAMES = {code.value[0]: code.name for code in grpc.StatusCode}


def list_files(inputs, recursive):
    """The files to scan, in a stable order: folders sorted by name,
    explicit files as given. Missing paths are kept (they fail later with
    a clear line)."""
    files = []
    for path in inputs:
        if not os.path.isdir(path):
            files.append(path)
            continue
        if recursive:
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                files.extend(os.path.join(root, n) for n in sorted(names)
                             if not n.startswith(".")
                             and os.path.isfile(os.path.join(root, n)))
        else:
            files.extend(os.path.join(path, n) for n in sorted(os.listdir(path))
                         if not n.startswith(".") and os.path.isfile(os.path.join(path, n)))
    return files


def read_error_code(error):
    """The status code of a file that cannot be read, as the server would
    name it."""
    if error.errno == errno.ENOENT:
        return grpc.StatusCode.NOT_FOUND
    if error.errno in (errno.EACCES, errno.EPERM):
        return grpc.StatusCode.PERMISSION_DENIED
    if error.errno in (errno.EISDIR, errno.ENOTDIR):
        return grpc.StatusCode.INVALID_ARGUMENT
    return grpc.StatusCode.UNAVAILABLE


def make_context(args):
    ctx = hw.scan_pb2.ScanContext(lane=args.lane or "", uploader_id=args.uploader_id or "",
                                  uploader_ip=args.uploader_ip or "",
                                  user_report=args.user_report, signals=args.signal or [])
    if args.classifier_score is not None:
        ctx.classifier_score = args.classifier_score
    return ctx


def content_id_for(path, data, mode):
    if mode == "sha256":
        return hashlib.sha256(data).hexdigest()
    if mode == "name":
        return os.path.basename(path)
    return os.path.abspath(path)


def to_dict(message):
    """protobuf's JSON form, field names as in the .proto, with zero values
    printed (a match at distance 0 keeps its "distance": 0)."""
    try:
        return json_format.MessageToDict(message, preserving_proto_field_name=True,
                                         including_default_value_fields=True)
    except TypeError:  # protobuf >= 5.26 renamed the option
        return json_format.MessageToDict(message, preserving_proto_field_name=True,
                                         always_print_fields_with_no_presence=True)


class Printer:
    def __init__(self, as_json, out=sys.stdout):
        self.as_json = as_json
        self.out = out
        self.counts = collections.Counter()
        self.errors = 0
        self.lines = 0  # files printed so far

    def local_error(self, path, code, message, stream=False):
        """An ERROR line for a file the server gave no answer for: `code`
        (a grpc.StatusCode) says why, as the server's own errors do."""
        self.errors += 1
        if self.as_json:
            error = {"code": code.value[0], "code_name": code.name, "message": message}
            error["stream" if stream else "local"] = True
            self._json({"file": path, "error": error})
        else:
            self._line(path, "ERROR", "-", f"{code.name}: {message}")

    def response(self, path, resp):
        if resp.HasField("error"):
            self.errors += 1
            name = _CODE_NAMES.get(resp.error.code, str(resp.error.code))
            if self.as_json:
                d = {"file": path, "content_id": resp.content_id,
                     "error": {"code": resp.error.code, "code_name": name,
                               "message": resp.error.message}}
                self._json(d)
            else:
                self._line(path, "ERROR", "-", f"{name}: {resp.error.message}")
            return
        verdict = hw.scan_pb2.Verdict.Name(resp.verdict)
        self.counts[verdict] += 1
        if self.as_json:
            d = {"file": path}
            d.update(to_dict(resp))
            self._json(d)
            return
        best = f"{resp.matches[0].bank}:{resp.matches[0].distance}" if resp.matches else "-"
        if resp.report_id:
            ref = resp.report_id
        elif resp.item_id:
            ref = str(resp.item_id)
        else:
            ref = "-"
        self._line(path, verdict, best, ref)

    def _line(self, *fields):
        self.lines += 1
        # One line, four fields: no tab or newline inside a field.
        clean = [str(f).replace("\t", " ").replace("\n", " ").replace("\r", " ") or "-"
                 for f in fields]
        self.out.write("\t".join(clean) + "\n")
        self.out.flush()

    def _json(self, obj):
        self.lines += 1
        self.out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.out.flush()

    def summary(self, total):
        parts = [f"{n} {v}" for v, n in sorted(self.counts.items())]
        if self.errors:
            parts.append(f"{self.errors} error{'s' if self.errors != 1 else ''}")
        return f"scan: {total} file{'s' if total != 1 else ''}: " + (", ".join(parts) or "none")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="scan.py", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Token: $HASHWATCH_TOKEN (role pipeline or admin).")
    hw.add_connection_args(parser)
    parser.add_argument("inputs", nargs="+", metavar="FOLDER_OR_FILE")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("-r", "--recursive", action="store_true",
                        help="also scan the files of sub-folders")
    parser.add_argument("--content-id", choices=("sha256", "name", "path"), default="sha256",
                        help="what the content id (idempotency key) is: the file's SHA-256 "
                             "(default), its base name, or its absolute path")
    parser.add_argument("--max-bytes", type=int, default=64 << 20,
                        help="files larger than this are not sent (default 64 MiB, the "
                             "server's default image limit)")
    g = parser.add_argument_group("scan context (applies to every file)")
    g.add_argument("--classifier-score", type=float, metavar="S",
                   help="your classifier's score, 0..1 (>= 0.9 queues unmatched images)")
    g.add_argument("--user-report", action="store_true", help="a user reported these files")
    g.add_argument("--signal", action="append", metavar="WORD",
                   help="an account/content signal, e.g. grooming (repeatable)")
    g.add_argument("--lane", help="review lane for queued items (default: the server's)")
    g.add_argument("--uploader-id")
    g.add_argument("--uploader-ip")
    args = parser.parse_args(argv)

    try:
        metadata = hw.auth()
        channel = hw.channel_from_args(args)
    except hw.ClientError as e:
        print(f"scan: {e}", file=sys.stderr)
        return 2
    files = list_files(args.inputs, args.recursive)
    if not files:
        print("scan: no files to scan", file=sys.stderr)
        return 1
    context = make_context(args)
    printer = Printer(args.json)

    # Files in order: ("sent", path) for each request on the stream, ("local",
    # path, message) for files that never left this machine. The request
    # generator (run by grpc on its own thread) appends before it yields, so
    # the entry for a response is always there when the response arrives.
    pending = collections.deque()

    def read_local(path):
        """(data, None), or (None, (code, message)) for a file never to be sent."""
        try:
            size = os.path.getsize(path)
            if size > args.max_bytes:
                return None, (grpc.StatusCode.RESOURCE_EXHAUSTED,
                              f"not sent: {size} bytes is over --max-bytes {args.max_bytes}")
            with open(path, "rb") as f:
                return f.read(), None
        except OSError as e:
            return None, (read_error_code(e), f"cannot read: {e.strerror}")

    reached = set()  # files the request generator has looked at

    def requests():
        for path in files:
            reached.add(path)
            data, refused = read_local(path)
            if refused:
                pending.append(("local", path) + refused)
                continue
            pending.append(("sent", path))
            yield hw.scan_pb2.ScanRequest(content_id=content_id_for(path, data, args.content_id),
                                          image=data, context=context)

    def flush_local():
        while pending and pending[0][0] == "local":
            _, path, code, message = pending.popleft()
            printer.local_error(path, code, message)

    # (code, details) of a failure of the whole stream: every file without
    # an answer gets an ERROR line with this code.
    stream_error = None
    stub = hw.scan_pb2_grpc.ScanServiceStub(channel)
    with channel:
        try:
            for resp in stub.ScanStream(requests(), metadata=metadata):
                flush_local()
                if not pending:
                    stream_error = (grpc.StatusCode.INTERNAL,
                                    "the server answered more items than were sent")
                    break
                _, path = pending.popleft()
                printer.response(path, resp)
        except grpc.RpcError as e:
            code = e.code() if isinstance(e.code(), grpc.StatusCode) else grpc.StatusCode.UNKNOWN
            stream_error = (code, e.details() or "")
    # Files never sent that come before the first file without an answer
    # keep their own reason; after a clean end, that is all that is left.
    flush_local()
    # Answers come in file order, so whatever has no line yet is a suffix of
    # `files`: not scanned, or scanned with the answer lost. A rerun is safe
    # (scans are idempotent by content id).
    unanswered = files[printer.lines:]
    for path in unanswered:
        # A file the request generator never reached (the stream failed
        # first) keeps its own reason when it could not have been sent.
        refused = read_local(path)[1] if path not in reached else None
        if refused:
            printer.local_error(path, *refused)
        elif stream_error:
            code, details = stream_error
            printer.local_error(path, code, f"not scanned, the stream failed: {details}",
                                stream=True)
        else:
            printer.local_error(path, grpc.StatusCode.UNKNOWN,
                                "no answer: the stream ended early", stream=True)
    if stream_error:
        code, details = stream_error
        print(f"scan: the stream failed: {code.name}: {details}", file=sys.stderr)
    print(printer.summary(len(files)), file=sys.stderr)
    return 1 if (printer.errors or stream_error) else 0


if __name__ == "__main__":
    sys.exit(main())
