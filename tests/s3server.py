"""A local S3-compatible server for the tests (moto's, in a thread, on a free port) and a fresh bucket per test."""
import socket
import uuid

import pytest

ACCESS = {"S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing", "S3_REGION": "us-east-1"}


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """The URL of a running S3-compatible server; stopped at the end of the session."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_config(s3_endpoint):
    """App config for the S3 store on a new, empty bucket of the local server."""
    import boto3

    bucket = f"minsheng-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, aws_access_key_id="testing",
                          aws_secret_access_key="testing", region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    config = {"UPLOAD_STORE": "s3", "S3_ENDPOINT_URL": s3_endpoint, "S3_BUCKET": bucket, **ACCESS}
    yield config
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)
    client.close()


def bucket_keys(config):
    """Every object key in the config's bucket."""
    import boto3

    client = boto3.client("s3", endpoint_url=config["S3_ENDPOINT_URL"], aws_access_key_id="testing",
                          aws_secret_access_key="testing", region_name="us-east-1")
    keys = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=config["S3_BUCKET"]):
        keys += [item["Key"] for item in page.get("Contents", [])]
    client.close()
    return sorted(keys)
