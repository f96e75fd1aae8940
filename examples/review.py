#!/usr/bin/python3
"""A moderator's review loop over a hashwatch server's queue.

    export HASHWATCH_TOKEN=hwt_...        # a moderator (or lead/admin) token
    /usr/bin/python3 examples/review.py --server 127.0.0.1:50051 --plaintext

Leases one item at a time (best first), prints it (id, lane, kind, category,
matches, summary), writes its blurred greyscale preview to the preview
folder, and decides it: interactively by default (c confirm, r reject,
e escalate, s skip, q quit: the lease is released), or with --decide for
every item (scripts, tests). Stops after --max items, when the queue is
empty, or when the server says to take a break (the exposure limit: that is
printed and the exit status is 0).

Previews are sensitive: each is written with mode 0600 and removed once its
item is decided or released. The preview folder is --preview-dir (created
with mode 0700; an existing one must be yours and closed to other users) or,
by default, a new private temporary folder that is removed with everything
in it when the program ends, however it ends (error, Ctrl-C, SIGTERM).

Exit status: 0 done (queue empty, --max reached, quit, break), 1 a call
failed, 2 usage error, 130 interrupted (the lease is released first when the
program was waiting for an answer), 143 terminated (SIGTERM).
"""

import argparse
import collections
import datetime
import os
import shutil
import signal
import stat
import sys
import tempfile

try:
    import hashwatch_client as hw
except ImportError as e:
    sys.exit(f"review: {e}")

import grpc

CALL_TIMEOUT = 30  # seconds, every call

DECISIONS = {
    "confirm": "DECISION_KIND_CONFIRM",
    "reject": "DECISION_KIND_REJECT",
    "escalate": "DECISION_KIND_ESCALATE",
    "skip": "DECISION_KIND_SKIP",
}
KEYS = {"c": "confirm", "r": "reject", "e": "escalate", "s": "skip", "q": "quit"}


class Interrupted(Exception):
    pass


def enum_name(enum, value, prefix):
    name = enum.Name(value) if value in enum.values() else str(value)
    return name[len(prefix):] if name.startswith(prefix) else name


def when(ts):
    if not ts.seconds and not ts.nanos:
        return "-"
    return datetime.datetime.fromtimestamp(ts.seconds, datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%SZ")


def show(leased, preview_path, out=sys.stdout):
    r = hw.review_pb2
    item = leased.item
    kind = enum_name(r.ItemKind, item.kind, "ITEM_KIND_")
    pclass = enum_name(r.PriorityClass, item.priority_class, "PRIORITY_CLASS_")
    lines = [
        f"item {item.id}  lane {item.lane}  kind {kind}  category {item.category or '-'}  "
        f"priority {pclass} ({leased.effective_priority:.1f})"
        + ("  OVERDUE" if leased.overdue else ""),
        f"  content {item.content_id}  queued {when(item.enqueue_time)}  "
        f"lease {leased.lease_id} until {when(leased.expires)}",
    ]
    for m in item.matches:
        signal = enum_name(hw.common_pb2.SignalType, m.signal, "SIGNAL_TYPE_").lower()
        lines.append(f"  match {m.bank} {signal} distance {m.distance} "
                     f"(auto <= {m.auto_report_distance}, review <= {m.review_distance}) "
                     f"category {m.category or '-'} source {m.source or '-'}")
    if not item.matches and item.kind != r.ITEM_KIND_CASE:
        lines.append("  no list match")
    ctx = item.context
    flags = []
    if ctx.HasField("classifier_score"):
        flags.append(f"classifier {ctx.classifier_score:.2f}")
    if ctx.user_report:
        flags.append("user report")
    flags.extend(ctx.signals)
    if flags:
        lines.append("  flagged: " + ", ".join(flags))
    if item.summary:
        lines.append("  summary: " + " ".join(item.summary.split()))
    if preview_path:
        lines.append(f"  preview {preview_path} (blurred, greyscale)")
    else:
        lines.append("  no preview (a case, or a scan of hashes only)")
    out.write("\n".join(lines) + "\n")
    out.flush()


def write_preview(folder, leased):
    """Writes the item's preview as FOLDER/item-ID.jpg, mode 0600 (also when
    the file existed), never through a symbolic link; returns its path."""
    if not leased.preview_jpeg:
        return None
    path = os.path.join(folder, f"item-{leased.item.id}.jpg")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(leased.preview_jpeg)
    return path


def remove_preview(path):
    if path:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def private_folder(path):
    """Creates `path` (mode 0700) if absent; raises ClientError unless it is
    a folder of this user's that no one else may enter."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as e:
        raise hw.ClientError(f"cannot create the preview folder {path}: {e.strerror}")
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise hw.ClientError(f"the preview folder {path} is not a folder (a link or a file)")
    if st.st_uid != os.geteuid():
        raise hw.ClientError(f"the preview folder {path} belongs to another user")
    if st.st_mode & 0o077:
        raise hw.ClientError(f"the preview folder {path} is open to other users (mode "
                             f"{stat.S_IMODE(st.st_mode):04o}); previews are sensitive: "
                             "chmod 700 it or pass another --preview-dir")
    return path


def empty_queue_message(review, metadata, lanes):
    """Why Lease answered nothing. The queue hides an item from the
    moderator who skipped it for 2 hours, and the escalation lane from
    everyone but leads and admins, and says neither; Stats (same roles as
    Lease) tells whether items are waiting all the same."""
    try:
        stats = review.Stats(hw.review_pb2.QueueStatsRequest(), metadata=metadata,
                             timeout=CALL_TIMEOUT)
    except grpc.RpcError:
        return "the queue is empty"
    waiting = [(l.lane, l.waiting) for l in stats.lanes
               if l.waiting and (not lanes or l.lane in lanes)]
    total = sum(n for _, n in waiting)
    if not total:
        return "the queue is empty"
    where = ", ".join(f"{lane} {n}" for lane, n in waiting)
    return (f"no items for you now: {total} waiting ({where}) "
            f"{'is' if total == 1 else 'are'} hidden from you: an item you skip stays "
            "hidden from you for 2 hours, and escalated items are for leads and admins")


def terminated(signum, frame):
    raise SystemExit(143)


def ask(prompt):
    try:
        return input(prompt).strip()
    except EOFError:
        return None
    except KeyboardInterrupt:
        raise Interrupted()


def choose(args, item):
    """(decision, category, allow) for an item: from the flags, or asked."""
    if args.decide:
        return args.decide, args.category or "", args.allow
    while True:
        answer = ask("[c]onfirm [r]eject [e]scalate [s]kip [q]uit > ")
        if answer is None:
            return "quit", "", False
        decision = KEYS.get(answer[:1].lower())
        if decision:
            break
        print("  please answer c, r, e, s or q")
    category, allow = "", False
    if decision == "confirm":
        default = args.category or item.category
        while not category:
            answer = ask(f"category{f' [{default}]' if default else ''} > ")
            if answer is None:
                return "quit", "", False
            category = answer or default
    elif decision == "reject":
        if args.allow:
            allow = True
        else:
            answer = ask("add its hashes to the allow list? [y/N] ")
            if answer is None:
                return "quit", "", False
            allow = answer.lower().startswith("y")
    return decision, category, allow


def describe(decision, item_id, resp):
    if decision == "confirm":
        text = f"confirmed item {item_id} as {resp.decision.category}: report {resp.report_id}"
    elif decision == "reject":
        text = f"rejected item {item_id}" + (" (allow-listed)" if resp.banked else "")
    elif decision == "escalate":
        text = f"escalated item {item_id} to a lead"
    else:
        text = f"skipped item {item_id}"
    if resp.banked:
        text += "; banked " + ", ".join(resp.banked)
    return text


def release(review, metadata, leased):
    try:
        review.Release(hw.review_pb2.ReleaseRequest(item_id=leased.item.id,
                                                    lease_id=leased.lease_id),
                       metadata=metadata, timeout=CALL_TIMEOUT)
        return True
    except grpc.RpcError as e:
        print(f"review: releasing item {leased.item.id} failed: {hw.status_line(e)}",
              file=sys.stderr)
        return False


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="review.py", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Token: $HASHWATCH_TOKEN (role moderator, lead or admin).")
    hw.add_connection_args(parser)
    parser.add_argument("--decide", choices=sorted(DECISIONS),
                        help="decide every item so, without asking")
    parser.add_argument("--category",
                        help="category of a confirm (e.g. A); needed with --decide confirm")
    parser.add_argument("--allow", action="store_true",
                        help="a reject also adds the item's hashes to the allow list")
    parser.add_argument("--note", default="", help="note recorded with each decision")
    parser.add_argument("--max", type=int, default=0, metavar="N",
                        help="stop after N items (default: until the queue is empty)")
    parser.add_argument("--lane", action="append", metavar="LANE",
                        help="lease only from this lane (repeatable; default all lanes)")
    parser.add_argument("--preview-dir", metavar="DIR",
                        help="where the blurred previews go as item-ID.jpg (default: a new "
                             "private temporary folder)")
    args = parser.parse_args(argv)
    if args.decide == "confirm" and not args.category:
        parser.error("--decide confirm needs --category")
    if args.allow and args.decide not in (None, "reject"):
        parser.error("--allow goes with reject")
    if args.max < 0:
        parser.error("--max must be >= 0")

    try:
        metadata = hw.auth()
        channel = hw.channel_from_args(args)
    except hw.ClientError as e:
        print(f"review: {e}", file=sys.stderr)
        return 2
    if args.preview_dir:
        try:
            previews = private_folder(args.preview_dir)
        except hw.ClientError as e:
            print(f"review: {e}", file=sys.stderr)
            return 1
    else:
        previews = tempfile.mkdtemp(prefix="hashwatch-previews-")  # mode 0700
    # SIGTERM unwinds like an exception, so the finally below still runs.
    signal.signal(signal.SIGTERM, terminated)
    try:
        print(f"review: previews go to {previews}", flush=True)
        return review_loop(args, channel, metadata, previews)
    except KeyboardInterrupt:
        print("\nreview: interrupted", file=sys.stderr)
        return 130
    finally:
        if not args.preview_dir:
            shutil.rmtree(previews, ignore_errors=True)


def review_loop(args, channel, metadata, previews):
    review = hw.review_pb2_grpc.ReviewServiceStub(channel)
    done = collections.Counter()
    seen = set()
    status = 0
    with channel:
        while not args.max or sum(done.values()) < args.max:
            try:
                resp = review.Lease(hw.review_pb2.LeaseRequest(max_items=1, lanes=args.lane or []),
                                    metadata=metadata, timeout=CALL_TIMEOUT)
            except grpc.RpcError as e:
                if e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                    print(f"review: {e.details()}")  # "... take a break until <time>"
                    break
                print(f"review: lease failed: {hw.status_line(e)}", file=sys.stderr)
                status = 1
                break
            if not resp.items:
                print(f"review: {empty_queue_message(review, metadata, args.lane)}")
                break
            leased = resp.items[0]
            item = leased.item
            if item.id in seen:
                # An item this run already escalated (the escalation lane is
                # served first) or released: leave it to someone else.
                release(review, metadata, leased)
                print(f"review: item {item.id} came back (lane {item.lane}); stopping")
                break
            seen.add(item.id)
            preview = None
            try:
                try:
                    preview = write_preview(previews, leased)
                    show(leased, preview)
                    decision, category, allow = choose(args, item)
                except Interrupted:
                    release(review, metadata, leased)
                    print(f"\nreview: interrupted; item {item.id} released")
                    return 130
                except OSError as e:
                    release(review, metadata, leased)
                    print(f"review: cannot write the preview: {e}", file=sys.stderr)
                    return 1
                if decision == "quit":
                    if release(review, metadata, leased):
                        print(f"review: item {item.id} released undecided")
                    break
                request = hw.review_pb2.DecideRequest(
                    item_id=item.id, lease_id=leased.lease_id,
                    kind=hw.review_pb2.DecisionKind.Value(DECISIONS[decision]),
                    category=category, add_to_allow_list=allow, note=args.note)
                try:
                    decided = review.Decide(request, metadata=metadata, timeout=CALL_TIMEOUT)
                except grpc.RpcError as e:
                    # e.g. FAILED_PRECONDITION: the lease expired and the
                    # item is back in the queue. Go on with the next one.
                    print(f"review: deciding item {item.id} failed: {hw.status_line(e)}",
                          file=sys.stderr)
                    status = 1
                    if e.code() not in (grpc.StatusCode.FAILED_PRECONDITION,
                                        grpc.StatusCode.NOT_FOUND):
                        release(review, metadata, leased)  # best effort; it expires anyway
                    if e.code() in (grpc.StatusCode.UNAVAILABLE,
                                    grpc.StatusCode.UNAUTHENTICATED,
                                    grpc.StatusCode.PERMISSION_DENIED):
                        break
                    continue
            finally:
                # Decided, released or failed: the preview is not kept.
                remove_preview(preview)
            done[decision] += 1
            print("  " + describe(decision, item.id, decided))
    total = sum(done.values())
    parts = ", ".join(f"{n} {d}" for d, n in sorted(done.items()))
    print(f"review: decided {total} item{'s' if total != 1 else ''}"
          + (f" ({parts})" if parts else ""))
    return status


if __name__ == "__main__":
    sys.exit(main())
