"""docker-py (Debian's python3-docker) against berth daemon: BERTH_DOCKER_HOST names the socket.
Run by DockerPyTests with /usr/bin/python3 -m pytest."""
import io
import os
import tarfile

import docker
import pytest


@pytest.fixture(scope="module")
def client():
    c = docker.DockerClient(base_url=os.environ["BERTH_DOCKER_HOST"], version="auto", timeout=120)
    yield c
    c.close()


def test_version_negotiated(client):
    assert client.version()["ApiVersion"] == "1.47"
    assert client.api.api_version == "1.47"
    assert client.ping() is True


def test_images(client):
    tags = [t for i in client.images.list() for t in i.tags]
    assert "busybox:latest" in tags
    img = client.images.get("busybox:latest")
    assert img.id.startswith("sha256:")
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get("nosuch:1")


def test_run_wait_logs_streams(client):
    c = client.containers.run("busybox:latest", ["sh", "-c", "echo out; echo err >&2; exit 3"], detach=True)
    try:
        assert c.wait(timeout=60)["StatusCode"] == 3
        assert c.logs(stdout=True, stderr=False) == b"out\n"
        assert c.logs(stdout=False, stderr=True) == b"err\n"
        # The multiplexed framing on the wire, frame by frame: (stream, payload).
        raw = client.api._get(client.api._url("/containers/{0}/logs", c.id), params={"stdout": 1, "stderr": 1}).content
        frames = []
        while raw:
            kind, size = raw[0], int.from_bytes(raw[4:8], "big")
            assert raw[1:4] == b"\0\0\0"
            frames.append((kind, raw[8:8 + size]))
            raw = raw[8 + size:]
        assert sorted(frames) == [(1, b"out\n"), (2, b"err\n")]
        c.reload()
        assert c.status == "exited" and c.attrs["State"]["ExitCode"] == 3
    finally:
        c.remove(force=True)


def test_tty_logs_are_raw(client):
    c = client.containers.run("busybox:latest", ["echo", "tty"], tty=True, detach=True)
    try:
        c.wait(timeout=60)
        assert c.logs() == b"tty\r\n"
    finally:
        c.remove()


def test_list_filters_and_labels(client):
    a = client.containers.create("busybox:latest", "true", name="pa", labels={"app": "x", "tier": "1"})
    b = client.containers.create("busybox:latest", "true", name="pb", labels={"app": "x"})
    try:
        names = sorted(c.name for c in client.containers.list(all=True, filters={"label": ["app=x", "tier=1"]}))
        assert names == ["pa"]
        names = sorted(c.name for c in client.containers.list(all=True, filters={"label": "app=x"}))
        assert names == ["pa", "pb"]
        assert client.containers.list() == []
    finally:
        a.remove()
        b.remove()


def test_not_found_and_conflict(client):
    with pytest.raises(docker.errors.NotFound) as e:
        client.containers.get("nosuch")
    assert "No such container: nosuch" in str(e.value)
    c = client.containers.run("busybox:latest", ["sleep", "300"], detach=True, name="busy")
    try:
        with pytest.raises(docker.errors.APIError) as e:
            c.remove()
        assert e.value.status_code == 409
        c.stop(timeout=1)
    finally:
        c.remove(force=True)


def test_build_from_fileobj_context(client):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = b"FROM busybox:latest\nARG V=0\nRUN echo v=$V > /v\nCMD [\"cat\", \"/v\"]\n"
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    image, logs = client.images.build(fileobj=buf, custom_context=True, tag="py:1", buildargs={"V": "9"}, rm=True)
    assert "py:1" in image.tags
    assert any("Successfully built" in l.get("stream", "") for l in logs)
    assert client.containers.run("py:1", remove=True) == b"v=9\n"


def test_volumes(client):
    v = client.volumes.create("pyvol", labels={"k": "v"})
    assert v.attrs["Labels"] == {"k": "v"}
    assert [x.name for x in client.volumes.list()] == ["pyvol"]
    v.remove()
    with pytest.raises(docker.errors.NotFound):
        client.volumes.get("pyvol")


def test_events_stream(client):
    import datetime
    # docker-py converts naive datetimes as UTC.
    since = datetime.datetime.utcnow() - datetime.timedelta(seconds=1)
    c = client.containers.create("busybox:latest", "true", name="ev")
    c.remove()
    until = datetime.datetime.utcnow() + datetime.timedelta(seconds=1)
    actions = [e["Action"] for e in client.events(since=since, until=until, decode=True, filters={"container": "ev"})]
    assert actions == ["create", "destroy"]


def test_exec_over_hijacked_connection(client):
    c = client.containers.run("busybox:latest", ["sleep", "300"], detach=True)
    try:
        # demux: stdout and stderr are two pipes, so their relative order is not kept (by dockerd either); each
        # stream's bytes must come in its own frames.
        r = c.exec_run(["sh", "-c", "echo out; echo err >&2; exit 3"], demux=True)
        assert r.exit_code == 3 and r.output == (b"out\n", b"err\n")
        r = c.exec_run(["echo", "tty"], tty=True)
        assert r.exit_code == 0 and r.output == b"tty\r\n"
        exec_id = client.api.exec_create(c.id, ["sh", "-c", "exit 5"])["Id"]
        client.api.exec_start(exec_id)
        info = client.api.exec_inspect(exec_id)
        assert info["ExitCode"] == 5 and info["Running"] is False and info["ContainerID"] == c.id
    finally:
        c.remove(force=True)
