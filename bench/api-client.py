#!/usr/bin/python3
"""A client that costs (almost) nothing, for bench/api's daemon-only rows: the Engine API requests the docker CLI
sends for one command, over a fresh connection to a daemon's unix socket per iteration, timed here, N times, with
the CPU time the daemon's processes spent meanwhile.

Usage: bench/api-client.py SOCKET SCENARIO RUNS WARMUP CPU-SOURCE [ARG]
  ps       GET /containers/json?all=1
  images   GET /images/json
  run      POST /containers/create (ARG: the image, Cmd true, no network), POST /containers/ID/start,
           POST /containers/ID/wait, DELETE /containers/ID
  exec     POST /containers/ARG/exec (Cmd true), POST /exec/ID/start (attached: upgraded, read to the end),
           GET /exec/ID/json
CPU-SOURCE: a cgroup's cpuacct.usage (v1, ns) or cpu.stat (v2) file, or pid:PID (that process and its descendants,
utime+stime+cutime+cstime from /proc). Prints one JSON object: the wall times of the timed iterations (s) and the
daemon's CPU time over them (s)."""
import json
import os
import socket
import sys
import time


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.buf = b""

    def close(self):
        self.s.close()

    def _fill(self):
        chunk = self.s.recv(65536)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _rest(self):
        data = self.buf
        while True:
            chunk = self.s.recv(65536)
            if not chunk:
                self.buf = b""
                return data
            data += chunk

    def request(self, method, path, body=None, upgrade=False):
        head = f"{method} /v1.41{path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: bench\r\n"
        data = b""
        if body is not None:
            data = json.dumps(body).encode()
            head += "Content-Type: application/json\r\n"
        if body is not None or method == "POST":
            head += f"Content-Length: {len(data)}\r\n"
        if upgrade:
            head += "Connection: Upgrade\r\nUpgrade: tcp\r\n"
        self.s.sendall(head.encode() + b"\r\n" + data)
        status = int(self._line().split()[1])
        headers = {}
        while True:
            line = self._line()
            if not line:
                break
            k, v = line.decode().split(":", 1)
            headers[k.strip().lower()] = v.strip()
        if status == 101 or headers.get("content-type", "").startswith("application/vnd.docker."):
            body = self._rest()  # a hijacked stream: ends when the daemon closes it
        elif "content-length" in headers:
            body = self._exact(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                n = int(self._line().split(b";")[0], 16)
                if n == 0:
                    self._line()
                    break
                body += self._exact(n)
                self._line()
        elif status in (204, 304):
            body = b""
        else:
            body = self._rest()
        if status >= 400:
            raise RuntimeError(f"{method} {path}: {status} {body[:300]!r}")
        return status, body


def ps(sock, _):
    c = Conn(sock)
    c.request("GET", "/containers/json?all=1")
    c.close()


def images(sock, _):
    c = Conn(sock)
    c.request("GET", "/images/json")
    c.close()


def run(sock, image):
    c = Conn(sock)
    _, body = c.request("POST", "/containers/create", {"Image": image, "Cmd": ["true"], "HostConfig": {"NetworkMode": "none"}})
    cid = json.loads(body)["Id"]
    c.request("POST", f"/containers/{cid}/start")
    _, body = c.request("POST", f"/containers/{cid}/wait")
    if json.loads(body)["StatusCode"] != 0:
        raise RuntimeError(f"run: exit {body!r}")
    c.request("DELETE", f"/containers/{cid}")
    c.close()


def exec_(sock, container):
    c = Conn(sock)
    _, body = c.request("POST", f"/containers/{container}/exec", {"Cmd": ["true"], "AttachStdout": True, "AttachStderr": True})
    eid = json.loads(body)["Id"]
    c.close()
    c = Conn(sock)  # the start's connection is taken over (hijacked) and closed at the end
    c.request("POST", f"/exec/{eid}/start", {"Detach": False, "Tty": False}, upgrade=True)
    c.close()
    c = Conn(sock)
    _, body = c.request("GET", f"/exec/{eid}/json")
    if json.loads(body)["ExitCode"] != 0:
        raise RuntimeError(f"exec: {body!r}")
    c.close()


def cpu(source):
    if source.startswith("pid:"):
        root = int(source[4:])
        kids, times = {}, {}
        tick = os.sysconf("SC_CLK_TCK")
        for p in os.listdir("/proc"):
            if p.isdigit():
                try:
                    f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                kids.setdefault(int(f[1]), []).append(int(p))
                times[int(p)] = sum(int(x) for x in f[11:15]) / tick
        total, todo = 0.0, [root]
        while todo:
            p = todo.pop()
            total += times.get(p, 0.0)
            todo += kids.get(p, [])
        return total
    text = open(source).read()
    if source.endswith("cpu.stat"):
        return int(text.split("usage_usec")[1].split()[0]) / 1e6
    return int(text) / 1e9


def main():
    sock, scenario, runs, warmup, source = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    arg = sys.argv[6] if len(sys.argv) > 6 else ""
    fn = {"ps": ps, "images": images, "run": run, "exec": exec_}[scenario]
    for _ in range(warmup):
        fn(sock, arg)
    times = []
    before = cpu(source)
    for _ in range(runs):
        t = time.perf_counter()
        fn(sock, arg)
        times.append(time.perf_counter() - t)
    after = cpu(source)
    print(json.dumps({"times": times, "cpu": after - before, "runs": runs}))


main()
