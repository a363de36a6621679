"""A real S3 API on loopback for the tests: moto in server mode, one subprocess per session (#22).

`start_s3_server()` runs `python -m moto.server -H 127.0.0.1 -p <free port>` with this interpreter and
waits until it answers. `S3Server.env(bucket, prefix)` gives the variables an app subprocess needs
(SEEDANCE_MEDIA_URL and the standard AWS_* ones boto3 reads itself); `make_bucket`, `objects` and `stop`
do what they say. The fixture `s3_server` (tests/conftest.py) is one of these per test session.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from ports import free_port

START_TIMEOUT_SECONDS = 60
ACCESS_KEY = "testing-access-key"  # moto accepts any credentials; these are not secrets
SECRET_KEY = "testing-secret-key"
REGION = "us-east-1"


@dataclass
class S3Server:
    """One running moto server; `endpoint` is its http://127.0.0.1:<port> URL."""

    endpoint: str
    process: subprocess.Popen[bytes] = field(repr=False)
    log_path: Path = field(repr=False)

    def env(self, bucket: str, prefix: str = "") -> dict[str, str]:
        """The variables that point an app subprocess at `bucket` (under `prefix`) on this server."""
        url = f"s3://{bucket}/{prefix.strip('/')}" if prefix.strip("/") else f"s3://{bucket}"
        return {
            "SEEDANCE_MEDIA_URL": url,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
        }

    def client(self) -> Any:
        """A boto3 S3 client of this server (for the tests' own checks)."""
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY, region_name=REGION)

    def make_bucket(self, name: str) -> None:
        """Create the bucket (an existing one is fine)."""
        client = self.client()
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
            client.create_bucket(Bucket=name)

    def objects(self, bucket: str) -> list[str]:
        """Every key in the bucket, sorted."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def stop(self) -> None:
        """Stop the server process."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _answers(endpoint: str) -> bool:
    try:
        return httpx.get(endpoint + "/", timeout=1.0).status_code < 500
    except httpx.HTTPError:
        return False


def start_s3_server() -> S3Server:
    """Start moto's S3 server on a free loopback port and wait until it answers (RuntimeError if not)."""
    port = free_port()
    log_path = Path(tempfile.mkstemp(prefix="seedance-moto-", suffix=".log")[1])
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=log, stderr=subprocess.STDOUT)
    server = S3Server(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not _answers(server.endpoint):
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            tail = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"moto's S3 server did not start: {tail}")
        time.sleep(0.1)
    return server


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """One S3 API (moto) on loopback for the whole session."""
    server = start_s3_server()
    try:
        yield server
    finally:
        server.stop()
