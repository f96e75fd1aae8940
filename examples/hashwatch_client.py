"""Small helpers shared by the hashwatch Python examples (and usable on
their own): find the generated hashwatch.v1 modules, open a channel, attach
the bearer token.

    import hashwatch_client as hw
    channel = hw.connect("127.0.0.1:50051", plaintext=True)
    scan = hw.scan_pb2_grpc.ScanServiceStub(channel)
    reply = scan.Hash(hw.scan_pb2.HashRequest(image=data), metadata=hw.auth())

The generated modules (`hashwatch/v1/*_pb2.py`, `*_pb2_grpc.py`) are made
by the build (CMake target `hw_proto_python`) in `build/python`. They are
looked up, in order: in the folder named by the environment variable
HASHWATCH_PYTHON; already importable (PYTHONPATH); in `build/python` of the
repository this file lives in. Needs only grpcio and protobuf (Debian:
python3-grpcio python3-protobuf, for /usr/bin/python3).
"""

import argparse
import importlib
import importlib.util
import os
import sys

TOKEN_ENV = "HASHWATCH_TOKEN"
SERVER_ENV = "HASHWATCH_SERVER"
DEFAULT_SERVER = "127.0.0.1:50051"
# The server accepts requests up to 64 MiB + 64 KiB (an image scan carries
# the image); allow the same both ways.
MAX_MESSAGE_BYTES = (64 << 20) + (64 << 10)

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ClientError(Exception):
    """A problem on the client's side (setup, missing token, unreadable
    file), with a message meant for the user."""


def _setup_path():
    explicit = os.environ.get("HASHWATCH_PYTHON")
    if explicit:
        if not os.path.isdir(os.path.join(explicit, "hashwatch", "v1")):
            raise ImportError(
                f"HASHWATCH_PYTHON={explicit} holds no hashwatch/v1 modules "
                "(build the CMake target hw_proto_python)")
        sys.path.insert(0, explicit)
        return
    try:
        if importlib.util.find_spec("hashwatch.v1.scan_pb2") is not None:
            return  # already on the path
    except ImportError:  # no `hashwatch` package at all
        pass
    built = os.path.join(_REPO, "build", "python")
    if os.path.isdir(os.path.join(built, "hashwatch", "v1")):
        sys.path.insert(0, built)


_setup_path()
try:
    import grpc
    importlib.import_module("google.protobuf")
except ImportError as e:
    raise ImportError(
        f"{e}: the hashwatch examples need grpc and protobuf, which Debian's "
        "python3-grpcio and python3-protobuf install for /usr/bin/python3 "
        f"(this is {sys.executable})") from e
try:
    from hashwatch.v1 import bank_pb2, bank_pb2_grpc
    from hashwatch.v1 import common_pb2
    from hashwatch.v1 import report_pb2, report_pb2_grpc
    from hashwatch.v1 import review_pb2, review_pb2_grpc
    from hashwatch.v1 import scan_pb2, scan_pb2_grpc
except ImportError as e:
    raise ImportError(
        f"cannot import the hashwatch gRPC stubs ({e}): build them with "
        "`cmake --build build --target hw_proto_python`, or set HASHWATCH_PYTHON to the "
        "folder holding hashwatch/v1/*_pb2.py") from e

__all__ = [
    "ClientError", "add_connection_args", "auth", "channel_from_args", "connect",
    "read_token", "status_line",
    "bank_pb2", "bank_pb2_grpc", "common_pb2", "report_pb2", "report_pb2_grpc",
    "review_pb2", "review_pb2_grpc", "scan_pb2", "scan_pb2_grpc",
]


def connect(server=None, plaintext=False, ca_cert=None):
    """A channel to `server` (HOST:PORT; default $HASHWATCH_SERVER or
    127.0.0.1:50051): TLS verified against `ca_cert` (a PEM file; default
    the system roots), or no TLS at all with plaintext=True (a server run
    with `serve --plaintext`, local development only)."""
    server = server or os.environ.get(SERVER_ENV) or DEFAULT_SERVER
    options = [
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ]
    if plaintext:
        if ca_cert:
            raise ClientError("--ca-cert and --plaintext exclude each other")
        return grpc.insecure_channel(server, options=options)
    roots = None
    if ca_cert:
        try:
            with open(ca_cert, "rb") as f:
                roots = f.read()
        except OSError as e:
            raise ClientError(f"cannot read the CA certificate {ca_cert}: {e.strerror}")
    return grpc.secure_channel(server, grpc.ssl_channel_credentials(root_certificates=roots),
                               options=options)


def read_token():
    """The bearer token from $HASHWATCH_TOKEN (made by `hashwatch token create`)."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise ClientError(
            f"no token: set {TOKEN_ENV} to a token made by "
            "`hashwatch token create NAME --role ROLE`")
    return token


def auth(token=None):
    """Call metadata carrying the bearer token (default: $HASHWATCH_TOKEN)."""
    return (("authorization", "Bearer " + (token if token is not None else read_token())),)


def add_connection_args(parser: argparse.ArgumentParser):
    """--server, --plaintext and --ca-cert, as every example takes them."""
    parser.add_argument("--server", default=None,
                        help=f"HOST:PORT (default ${SERVER_ENV} or {DEFAULT_SERVER})")
    parser.add_argument("--plaintext", action="store_true",
                        help="connect without TLS (a server run with --plaintext)")
    parser.add_argument("--ca-cert", metavar="PEM",
                        help="verify the server's TLS certificate against this CA")


def channel_from_args(args):
    return connect(args.server, plaintext=args.plaintext, ca_cert=args.ca_cert)


def status_line(error: grpc.RpcError):
    """'CODE: details' of a failed call, e.g. 'UNAVAILABLE: failed to connect ...'."""
    code = error.code() if hasattr(error, "code") else None
    details = error.details() if hasattr(error, "details") else str(error)
    name = code.name if code is not None else "UNKNOWN"
    return f"{name}: {details}"
