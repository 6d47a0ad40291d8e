"""docker-py (Debian's python3-docker) against berth daemon: BERTH_DOCKER_HOST names the socket.
Run by DockerPyTests with /usr/bin/python3 -m pytest: the daemon runs in a network namespace of the test's own, so
networks may be made; the test named `registry` runs against a daemon beside BERTH_REGISTRY instead."""
import datetime
import io
import os
import re
import socket
import tarfile
import time

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


def test_events_label_terms_all_hold(client):
    # compose follows its project's events with two label terms (project and oneoff): both must hold.
    since = datetime.datetime.utcnow() - datetime.timedelta(seconds=1)
    a = client.containers.create("busybox:latest", "true", name="eva", labels={"p": "1", "o": "False"})
    b = client.containers.create("busybox:latest", "true", name="evb", labels={"p": "1", "o": "True"})
    a.remove()
    b.remove()
    until = datetime.datetime.utcnow() + datetime.timedelta(seconds=1)
    seen = [(e["Action"], e["Actor"]["Attributes"]["name"]) for e in
            client.events(since=since, until=until, decode=True, filters={"label": ["p=1", "o=False"]})]
    assert seen == [("create", "eva"), ("destroy", "eva")]


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


def tar_of(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


def frames(raw):
    """docker's multiplexed framing: an 8-byte header (stream, 0, 0, 0, big-endian size), then the payload."""
    out = []
    while raw:
        assert len(raw) >= 8 and raw[1:4] == b"\0\0\0", raw
        size = int.from_bytes(raw[4:8], "big")
        out.append((raw[0], raw[8:8 + size]))
        raw = raw[8 + size:]
    return out


def read_to_eof(sock):
    sock._sock.settimeout(60)
    data = b""
    while True:
        chunk = sock.read(4096)
        if not chunk:
            return data
        data += chunk


def wait_for_log(c, line):
    deadline = time.monotonic() + 60
    while line not in c.logs():
        assert time.monotonic() < deadline, f"no {line!r} in the log of {c.name}: {c.logs()!r}"
        time.sleep(0.05)


def test_container_top_stats_rename_pause_kill_remove(client):
    c = client.containers.run("busybox:latest", ["sh", "-c", "trap 'exit 7' USR1; echo ready; while true; do sleep 1; done"],
                              detach=True, name="life")
    try:
        wait_for_log(c, b"ready\n")
        top = c.top()
        assert top["Titles"][:2] == ["UID", "PID"] and top["Titles"][-1] == "CMD"
        assert any("sleep 1" in p[-1] for p in top["Processes"]), top
        stats = c.stats(stream=False)
        assert stats["name"] == "/life" and stats["id"] == c.id
        assert stats["memory_stats"]["usage"] > 0 and stats["pids_stats"]["current"] >= 2
        assert stats["cpu_stats"]["cpu_usage"]["total_usage"] > 0 and "cpu_usage" in stats["precpu_stats"]
        assert stats["preread"] != "0001-01-01T00:00:00Z", "a one-shot sample has two reads"
        c.rename("life2")
        c.reload()
        assert c.name == "life2"
        with pytest.raises(docker.errors.NotFound):
            client.containers.get("life")
        c.pause()
        c.reload()
        assert c.status == "paused" and c.attrs["State"]["Paused"] is True
        with pytest.raises(docker.errors.APIError) as e:
            c.exec_run(["true"])
        assert e.value.status_code == 409 and "is paused" in str(e.value)
        c.unpause()
        c.reload()
        assert c.status == "running" and c.attrs["State"]["Paused"] is False
        c.kill(signal="SIGUSR1")
        assert c.wait(timeout=60)["StatusCode"] == 7
        c.reload()
        assert c.status == "exited"
        # Kill of a stopped container is a conflict, as dockerd's.
        with pytest.raises(docker.errors.APIError) as e:
            c.kill()
        assert e.value.status_code == 409 and "is not running" in str(e.value)
        c.remove()
        with pytest.raises(docker.errors.NotFound):
            client.containers.get(c.id)
    finally:
        for name in ("life", "life2"):
            try:
                client.containers.get(name).remove(force=True)
            except docker.errors.NotFound:
                pass


def test_healthcheck_from_the_create_body(client):
    # compose's depends_on: service_healthy reads State.Health of a check given in the create body.
    c = client.containers.run("busybox:latest", ["sleep", "300"], detach=True,
                              healthcheck={"test": ["CMD-SHELL", "test -f /ok"], "interval": 200000000, "retries": 2})
    try:
        c.reload()
        assert c.attrs["Config"]["Healthcheck"] == {"Test": ["CMD-SHELL", "test -f /ok"], "Interval": 200000000, "Retries": 2}
        assert c.attrs["State"]["Health"]["Status"] in ("starting", "unhealthy")
        assert c.exec_run(["touch", "/ok"]).exit_code == 0
        deadline = time.monotonic() + 60
        while c.attrs["State"]["Health"]["Status"] != "healthy":
            assert time.monotonic() < deadline, c.attrs["State"]["Health"]
            time.sleep(0.05)
            c.reload()
        assert c.attrs["State"]["Health"]["FailingStreak"] == 0 and c.attrs["State"]["Health"]["Log"][-1]["ExitCode"] == 0
    finally:
        c.remove(force=True)


def test_wait_conditions_and_kill_default(client):
    c = client.containers.run("busybox:latest", ["sleep", "300"], detach=True)
    try:
        c.kill()
        assert c.wait(timeout=60, condition="not-running") == {"Error": None, "StatusCode": 137}
        # An exited container answers at once, with its last code.
        assert c.wait(timeout=60)["StatusCode"] == 137
    finally:
        c.remove(force=True)


def test_logs_follow_timestamps_since_tail(client):
    c = client.containers.run("busybox:latest", ["sh", "-c", "echo l1; echo l2 >&2; echo l3; "
                              "while [ ! -f /go ]; do sleep 0.05; done; echo l4"], detach=True)
    try:
        got = []
        for chunk in c.logs(stream=True, follow=True):
            got.append(chunk)
            # stdout and stderr are two pipes: l2's place among the others is not fixed.
            if sorted(got) == [b"l1\n", b"l2\n", b"l3\n"]:
                assert c.exec_run(["touch", "/go"]).exit_code == 0
        # The follow stream ended with the container, and had every line, one frame each.
        assert sorted(got) == [b"l1\n", b"l2\n", b"l3\n", b"l4\n"]
        assert c.wait(timeout=60)["StatusCode"] == 0
        stamped = c.logs(timestamps=True).decode().splitlines()
        assert len(stamped) == 4
        for line in stamped:
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z l[1-4]", line), line
        assert c.logs(tail=1) == b"l4\n"
        assert c.logs(tail=0) == b""
        # tail counts the log's lines before the streams are chosen, as dockerd's.
        assert c.logs(stdout=False, stderr=True, tail=1) == b""
        # since is inclusive and takes seconds with nanoseconds (the CLI sends them so); docker-py sends whole seconds.
        l4 = [l for l in stamped if l.endswith(" l4")][0].split(" ")[0]
        secs = int(datetime.datetime.strptime(l4[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp())
        ns = secs * 10**9 + int(l4[20:29])

        def since_ns(t):
            return client.api._get(client.api._url("/containers/{0}/logs", c.id),
                                   params={"stdout": 1, "stderr": 1, "since": f"{t // 10**9}.{t % 10**9:09d}"}).content
        assert frames(since_ns(ns)) == [(1, b"l4\n")]
        assert since_ns(ns + 100) == b""
        assert c.logs(since=secs + 100) == b""
        assert c.logs(since=1) == b"".join(c.logs(stream=True))
    finally:
        c.remove(force=True)


def test_images_tag_history_save_load_remove(client):
    img = client.images.get("busybox:latest")
    assert client.images.get(img.short_id.split(":")[1]).id == img.id
    assert img.tag("pyrepo/bb", "t1") is True
    img.reload()
    assert "pyrepo/bb:t1" in img.tags
    assert [i.id for i in client.images.list(name="pyrepo/bb")] == [img.id]
    history = img.history()
    assert history[0]["Id"] == img.id and "pyrepo/bb:t1" in history[0]["Tags"]
    assert all(set(h) >= {"Id", "Created", "CreatedBy", "Size", "Tags", "Comment"} for h in history)
    data = b"".join(img.save(named="pyrepo/bb:t1"))
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        assert "manifest.json" in tar.getnames()
    client.images.remove("pyrepo/bb:t1")
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get("pyrepo/bb:t1")
    loaded = client.images.load(data)
    assert [i.id for i in loaded] == [img.id]
    assert "pyrepo/bb:t1" in client.images.get("pyrepo/bb:t1").tags
    # An ID that two repositories name is not removed without force.
    with pytest.raises(docker.errors.APIError) as e:
        client.images.remove(img.id)
    assert e.value.status_code == 409 and "referenced in multiple repositories" in str(e.value)
    client.images.remove("pyrepo/bb:t1")
    assert client.images.get("busybox:latest").tags == ["busybox:latest"]


def test_build_path_context_labels_and_stream(client, tmp_path):
    (tmp_path / "Dockerfile.alt").write_text("FROM busybox:latest\nCOPY . /ctx/\nLABEL from=file\nRUN ls /ctx > /listing\n")
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "skip.log").write_text("ignored")
    (tmp_path / ".dockerignore").write_text("*.log\n")
    image, _ = client.images.build(path=str(tmp_path), dockerfile="Dockerfile.alt", tag="py:2", labels={"k": "v"}, nocache=True)
    assert image.labels == {"from": "file", "k": "v"}
    assert client.containers.run("py:2", ["cat", "/listing"], remove=True) == b"Dockerfile.alt\na.txt\n"
    # The raw stream: one JSON object per message, steps numbered, and the two lines docker-py reads the ID from.
    stream = list(client.api.build(fileobj=tar_of({"Dockerfile": b"FROM busybox:latest\nRUN echo hi\n"}),
                                   custom_context=True, tag="py:3", nocache=True, decode=True))
    text = "".join(m.get("stream", "") for m in stream)
    assert "Step 1/2 : FROM busybox:latest" in text and "Step 2/2 : RUN echo hi" in text and "\nhi\n" in text
    built = re.search(r"Successfully built ([0-9a-f]{12})\n", text)
    assert built and "Successfully tagged py:3\n" in text
    assert client.images.get("py:3").id.startswith("sha256:" + built.group(1))
    quiet = list(client.api.build(fileobj=tar_of({"Dockerfile": b"FROM busybox:latest\nRUN echo hi\n"}),
                                  custom_context=True, quiet=True, decode=True))
    assert [m["stream"] for m in quiet if "stream" in m] == [client.images.get("py:3").id + "\n"]
    client.images.remove("py:2")
    client.images.remove("py:3")


def test_failing_build_raises_build_error(client):
    with pytest.raises(docker.errors.BuildError) as e:
        client.images.build(fileobj=tar_of({"Dockerfile": b"FROM busybox:latest\nRUN echo partial; exit 7\n"}),
                            custom_context=True, tag="py:bad")
    assert e.value.msg == "The command '/bin/sh -c echo partial; exit 7' returned a non-zero code: 7"
    assert any("partial" in m.get("stream", "") for m in e.value.build_log)
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get("py:bad")


def test_exec_stream_and_errors(client):
    c = client.containers.run("busybox:latest", ["sleep", "300"], detach=True)
    try:
        r = c.exec_run(["sh", "-c", "echo s1; echo s2 >&2"], stream=True, demux=True)
        assert r.exit_code is None
        assert sorted(r.output, key=lambda p: p[0] is None) == [(b"s1\n", None), (None, b"s2\n")]
        r = c.exec_run(["sh", "-c", "echo $A-$PWD-$(id -u)"], environment={"A": "x"}, workdir="/tmp", user="65534")
        assert r == (0, b"x-/tmp-65534\n")
        # A command that is not there is 127, one that cannot run 126 (dockerd 23 and later; 20.10 said 126 for both),
        # with the reason on the stream.
        r = c.exec_run(["nosuch-command"])
        assert r.exit_code == 127 and b'"nosuch-command": executable file not found in $PATH' in r.output
        r = c.exec_run(["/etc/passwd"])
        assert r.exit_code == 126 and b"permission denied" in r.output
    finally:
        c.remove(force=True)


def test_attach_stream_with_logs(client):
    # logs=1 replays the log, then the live output follows, and the stream ends at the exit. docker-py's attach reads
    # the upgraded stream from the socket beneath its HTTP reader, so frames that arrive together with the 101 stay in
    # that reader's buffer and are lost to it (against dockerd too: seen on a loaded machine, where only the live "b"
    # came through). The exchange is made on a plain socket here, as the docker CLI makes it; docker-py runs the rest.
    c = client.containers.run("busybox:latest", ["sh", "-c", "echo a; echo e >&2; while [ ! -f /go ]; do sleep 0.05; done; echo b"],
                              detach=True)
    try:
        # Both lines in the log before the attach: output written while the attach switches from the log to the live
        # stream is not promised to it (dockerd reads the log, then attaches).
        wait_for_log(c, b"a\n")
        wait_for_log(c, b"e\n")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(60)
        sock.connect(os.environ["BERTH_DOCKER_HOST"][len("unix://"):])
        sock.sendall(f"POST /v1.47/containers/{c.id}/attach?logs=1&stream=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: docker\r\n"
                     "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data or len(whole_frames(data.split(b"\r\n\r\n", 1)[1])) < 2:
            chunk = sock.recv(4096)
            assert chunk, f"the attach ended early: {data!r}"
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head
        # The replayed lines (what came before the attach) come first, each on its stream.
        assert sorted(whole_frames(body)) == [(1, b"a\n"), (2, b"e\n")]
        assert c.exec_run(["touch", "/go"]).exit_code == 0
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            body += chunk
        sock.close()
        assert sorted(frames(body)) == [(1, b"a\n"), (1, b"b\n"), (2, b"e\n")]
    finally:
        c.remove(force=True)


def whole_frames(raw):
    """The frames of docker's multiplexed framing that have arrived whole."""
    out = []
    while len(raw) >= 8 and len(raw) >= 8 + int.from_bytes(raw[4:8], "big"):
        size = int.from_bytes(raw[4:8], "big")
        out.append((raw[0], raw[8:8 + size]))
        raw = raw[8 + size:]
    return out


def test_attach_socket_without_tty_is_multiplexed(client):
    cid = client.api.create_container("busybox:latest", ["sh", "-c", "while read l; do echo got:$l; echo err:$l >&2; done; exit 4"],
                                      stdin_open=True)["Id"]
    try:
        sock = client.api.attach_socket(cid, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
        client.api.start(cid)
        sock._sock.sendall(b"one\n")
        # Our end of stdin: with StdinOnce the container's stdin closes, the loop ends, and the server closes.
        sock._sock.shutdown(socket.SHUT_WR)
        got = frames(read_to_eof(sock))
        assert b"".join(p for k, p in got if k == 1) == b"got:one\n"
        assert b"".join(p for k, p in got if k == 2) == b"err:one\n"
        sock.close()
        assert client.api.wait(cid, timeout=60)["StatusCode"] == 4
    finally:
        client.api.remove_container(cid, force=True)


def test_attach_socket_with_tty_is_raw(client):
    cid = client.api.create_container("busybox:latest", ["sh", "-c", "read l; echo got:$l"], stdin_open=True, tty=True)["Id"]
    try:
        sock = client.api.attach_socket(cid, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
        client.api.start(cid)
        sock._sock.sendall(b"one\n")
        # The terminal echoes the line, then the shell answers; no frame headers, the terminal's CRLF.
        assert read_to_eof(sock) == b"one\r\ngot:one\r\n"
        sock.close()
        assert client.api.wait(cid, timeout=60)["StatusCode"] == 0
    finally:
        client.api.remove_container(cid, force=True)


def test_attach_to_an_exited_container_carries_its_next_start(client):
    # docker start -a attaches first, then starts: dockerd lets a stream attach wait for the next start.
    c = client.containers.run("busybox:latest", ["sh", "-c", "if [ -f /seen ]; then echo second; else touch /seen; echo first; fi"],
                              detach=True)
    try:
        assert c.wait(timeout=60)["StatusCode"] == 0
        sock = client.api.attach_socket(c.id, params={"stdout": 1, "stderr": 1, "stream": 1})
        c.start()
        assert frames(read_to_eof(sock)) == [(1, b"second\n")]
        sock.close()
        assert c.logs() == b"first\nsecond\n"
    finally:
        c.remove(force=True)


def test_networks_create_connect_disconnect_remove(client):
    ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet="10.91.0.0/24", gateway="10.91.0.1")])
    net = client.networks.create("pynet", driver="bridge", ipam=ipam, labels={"app": "py"}, check_duplicate=True, attachable=True)
    c = client.containers.run("busybox:latest", ["sleep", "300"], detach=True, name="pyc")
    try:
        assert net.attrs["IPAM"]["Config"] == [{"Subnet": "10.91.0.0/24", "Gateway": "10.91.0.1"}]
        assert net.attrs["Driver"] == "bridge" and net.attrs["Labels"] == {"app": "py"} and net.attrs["Attachable"] is True
        assert [n.name for n in client.networks.list(names=["pynet"])] == ["pynet"]
        assert [n.name for n in client.networks.list(filters={"label": "app=py"})] == ["pynet"]
        with pytest.raises(docker.errors.APIError) as e:
            client.networks.create("pynet", check_duplicate=True)
        assert e.value.status_code == 409
        net.connect(c, aliases=["pyalias"])
        c.reload()
        ep = c.attrs["NetworkSettings"]["Networks"]["pynet"]
        assert ep["IPAddress"].startswith("10.91.0.") and ep["Gateway"] == "10.91.0.1" and "pyalias" in ep["Aliases"]
        net.reload()
        assert [x.id for x in net.containers] == [c.id]
        # Another container on the network reaches it by its alias.
        out = client.containers.run("busybox:latest", ["ping", "-c", "1", "-W", "5", "pyalias"], network="pynet", remove=True)
        assert f"({ep['IPAddress']})".encode() in out
        net.disconnect(c)
        c.reload()
        assert "pynet" not in c.attrs["NetworkSettings"]["Networks"]
        assert b"10.91.0." not in c.exec_run(["ip", "-4", "addr"]).output
        net.remove()
        with pytest.raises(docker.errors.NotFound):
            client.networks.get("pynet")
        spare = client.networks.create("pyspare")
        assert client.networks.prune() == {"NetworksDeleted": ["pyspare"]}
        with pytest.raises(docker.errors.NotFound):
            client.networks.get(spare.id)
    finally:
        c.remove(force=True)
        for n in client.networks.list(names=["pynet", "pyspare"]):
            n.remove()


def test_volumes_filters_inspect_prune(client):
    a = client.volumes.create("pya", labels={"k": "v", "x": "1"})
    b = client.volumes.create("pyb", labels={"k": "v"})
    anon = client.volumes.create()
    c = client.containers.create("busybox:latest", "true", volumes=["pyb:/data"])
    try:
        assert a.attrs["Driver"] == "local" and a.attrs["Scope"] == "local" and a.attrs["Mountpoint"].endswith("/pya/_data")
        assert sorted(v.name for v in client.volumes.list(filters={"label": "k=v"})) == ["pya", "pyb"]
        # Label terms are ANDed, as for containers.
        assert [v.name for v in client.volumes.list(filters={"label": ["k=v", "x=1"]})] == ["pya"]
        assert [v.name for v in client.volumes.list(filters={"name": "pyb"})] == ["pyb"]
        assert sorted(v.name for v in client.volumes.list(filters={"dangling": True})) == sorted(["pya", anon.name])
        assert [v.name for v in client.volumes.list(filters={"dangling": False})] == ["pyb"]
        with pytest.raises(docker.errors.APIError) as e:
            client.volumes.get("pyb").remove()
        assert e.value.status_code == 409
        # At API 1.42 and later, prune takes anonymous volumes only, unless all=true; labels filter it.
        assert client.volumes.prune() == {"VolumesDeleted": [anon.name], "SpaceReclaimed": 0}
        assert client.volumes.prune(filters={"label": "x=2", "all": "true"})["VolumesDeleted"] is None
        assert client.volumes.prune(filters={"label": "x=1", "all": "true"})["VolumesDeleted"] == ["pya"]
        assert [v.name for v in client.volumes.list()] == ["pyb"]
        # Before API 1.42, prune took named volumes too (dockerd adds all=true for such clients).
        client.volumes.create("pyold")
        old = docker.DockerClient(base_url=os.environ["BERTH_DOCKER_HOST"], version="1.41", timeout=120)
        try:
            assert old.volumes.prune()["VolumesDeleted"] == ["pyold"]
        finally:
            old.close()
    finally:
        c.remove()
        for v in client.volumes.list():
            v.remove()


def test_push_and_pull_a_local_registry_image(client):
    registry = os.environ["BERTH_REGISTRY"]
    repo = f"{registry}/py/bb"
    img = client.images.get("busybox:latest")
    assert img.tag(repo, "1")
    pushed = list(client.images.push(repo, tag="1", stream=True, decode=True))
    assert any(re.match(r"1: digest: sha256:[0-9a-f]{64} size: \d+", m.get("status", "")) for m in pushed), pushed
    client.images.remove(f"{repo}:1")
    pulled = client.images.pull(repo, tag="1")
    assert pulled.id == img.id and f"{repo}:1" in pulled.tags
    with pytest.raises(docker.errors.NotFound):
        client.images.pull(repo, tag="nosuch")
