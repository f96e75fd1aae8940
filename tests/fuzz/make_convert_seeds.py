#!/usr/bin/env python3
"""Writes the seeds of convert_fuzz (tests/fuzz/seeds-convert/).

Each seed is one selector byte (as convert_fuzz.cc reads it: byte % 5 picks
the family, byte // 5 the message within it) and a serialized message.
Needs the Python modules of proto/hashwatch/v1, e.g.:

  protoc --proto_path=proto --python_out=/tmp/py proto/hashwatch/v1/*.proto
  PYTHONPATH=/tmp/py tests/fuzz/make_convert_seeds.py tests/fuzz/seeds-convert
"""
import os
import sys

from hashwatch.v1 import bank_pb2, common_pb2, report_pb2, review_pb2, scan_pb2

PDQ = "f8f8f0cce0f4a84f06370a32a7f4d0f0f0e0c0d1a0b0f8f0e0c0a0b0c0d0e0f0"


def sel(family, which=0):
    return bytes([family + 5 * which])


def seeds():
    scan = scan_pb2.ScanRequest(content_id="upload-1")
    scan.hashes.pdq = PDQ
    scan.hashes.pdq_quality = 90
    scan.hashes.md5 = "A" * 32
    scan.hashes.sha256 = "c" * 64
    scan.context.uploader_id = "user-7"
    scan.context.uploader_ip = "2001:db8::1"
    scan.context.classifier_score = 0.5
    scan.context.signals.append("grooming")
    scan.context.lane = "user_report"
    yield "scan-hashes", sel(0) + scan.SerializeToString()
    image = scan_pb2.ScanRequest(content_id="c\nforged", image=b"\x89PNG")
    image.context.uploader_ip = "1.2.3.4"
    yield "scan-image", sel(0) + image.SerializeToString()

    answer = scan_pb2.ScanResponse(content_id="upload-1", item_id=12,
                                   reason="pdq distance 20 in hotline")
    answer.verdict = scan_pb2.QUEUED_FOR_REVIEW
    m = answer.matches.add(bank="hotline", entry_id=3, hash=PDQ, distance=20,
                           category="A")
    m.signal = common_pb2.SIGNAL_TYPE_PDQ
    answer.hashes.md5 = "a" * 32
    yield "answer", sel(1) + answer.SerializeToString()

    decide = review_pb2.DecideRequest(item_id=1, lease_id=2, category="A",
                                      note="seen")
    decide.kind = review_pb2.DECISION_KIND_CONFIRM
    yield "decide", sel(2, 0) + decide.SerializeToString()
    lease = review_pb2.LeaseRequest(max_items=3, lanes=["escalation"])
    yield "lease", sel(2, 1) + lease.SerializeToString()
    yield "reveal", sel(2, 2) + review_pb2.RevealRequest(
        item_id=1, reason="check").SerializeToString()
    case = review_pb2.EnqueueCaseRequest(content_id="case-1",
                                         summary="grooming", category="B")
    case.context.uploader_ip = "10.0.0.1"
    yield "case", sel(2, 3) + case.SerializeToString()

    create = bank_pb2.CreateBankRequest(name="hotline")
    create.policy.auto_report_distance = 10
    create.policy.review_distance = 31
    yield "create-bank", sel(3, 0) + create.SerializeToString()
    add = bank_pb2.AddEntriesRequest(bank="hotline")
    e = add.entries.add(value=PDQ, category="A", source="list-1",
                        metadata_json='{"k":1}')
    e.signal = common_pb2.SIGNAL_TYPE_PDQ
    e.disabled_until.seconds = 1700000000
    yield "add-entries", sel(3, 1) + add.SerializeToString()
    remove = bank_pb2.RemoveEntriesRequest(bank="hotline")
    v = remove.values.add(value="C" * 64)
    v.signal = common_pb2.SIGNAL_TYPE_SHA256
    yield "remove-entries", sel(3, 2) + remove.SerializeToString()
    disable = bank_pb2.DisableEntryRequest(bank="hotline", value=PDQ)
    disable.signal = common_pb2.SIGNAL_TYPE_PDQ
    disable.until.seconds = 1800000000
    yield "disable", sel(3, 3) + disable.SerializeToString()
    imp = bank_pb2.ImportListRequest(bank="hotline", content=(PDQ + "\n").encode(),
                                     skip_invalid=True)
    yield "import", sel(3, 4) + imp.SerializeToString()
    entry = bank_pb2.Entry(id=4, value=PDQ, category="A")
    entry.signal = common_pb2.SIGNAL_TYPE_PDQ
    yield "entry", sel(3, 5) + entry.SerializeToString()

    listing = report_pb2.ListReportsRequest(bank="hotline",
                                            after_sequence=2**64 - 1, limit=5)
    getattr(listing, "from").seconds = 1700000000
    yield "list-reports", sel(4, 0) + listing.SerializeToString()
    yield "mark-submitted", sel(4, 1) + report_pb2.MarkSubmittedRequest(
        id="r-0000000000000001", submission_ref="tip-1").SerializeToString()
    yield "get-report", sel(4, 2) + report_pb2.GetReportRequest(
        id="r-1\x7f").SerializeToString()


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
