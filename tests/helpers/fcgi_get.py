#!/usr/bin/env python3
"""fcgi_get.py ADDRESS PATH [METHOD [BODY [CONTENT_TYPE]]] [-o FILE]
[--then PATH]... - one FastCGI request straight to a voxcat-fcgi socket,
without nginx; with --then, a GET of each PATH follows on the same
connection, which every request asks the worker to keep (FCGI_KEEP_CONN,
as nginx's fastcgi_keep_conn does).

ADDRESS is a unix socket path or host:port. GET unless METHOD says
otherwise; BODY (with CONTENT_TYPE, application/json by default) goes on
stdin; $VOXCAT_TOKEN, when set, is sent as the bearer token. Prints the
response as the application wrote it (headers and body); with -o FILE the
headers go to stdout and the body to FILE."""
import os
import socket
import struct
import sys

BEGIN, PARAMS, STDIN, STDOUT, STDERR, END = 1, 4, 5, 6, 7, 3


def record(kind, content, req_id=1):
    return struct.pack("!BBHHBx", 1, kind, req_id, len(content), 0) + content


def pair(name, value):
    def length(n):
        return bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)
    n, v = name.encode(), value.encode()
    return length(len(n)) + length(len(v)) + n + v


def connect(address):
    if address.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(address)
        return s
    host, port = address.rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=60)


def request(s, path, method="GET", body=b"", ctype="application/json", keep=False):
    uri, _, query = path.partition("?")
    env = {"REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": uri,
           "QUERY_STRING": query, "REQUEST_URI": path, "REQUEST_ID": "test",
           "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": ctype if body else ""}
    if os.environ.get("VOXCAT_TOKEN"):
        env["HTTP_AUTHORIZATION"] = "Bearer " + os.environ["VOXCAT_TOKEN"]
    params = b"".join(pair(k, v) for k, v in env.items())
    stdin = b"".join(record(STDIN, body[i:i + 65535]) for i in range(0, len(body), 65535))
    s.sendall(record(BEGIN, struct.pack("!HB5x", 1, 1 if keep else 0)) + record(PARAMS, params)
              + record(PARAMS, b"") + stdin + record(STDIN, b""))
    out, buf = b"", b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return out, False
        buf += chunk
        while len(buf) >= 8:
            _, kind, _, clen, plen = struct.unpack("!BBHHB", buf[:7])
            if len(buf) < 8 + clen + plen:
                break
            if kind == STDOUT:
                out += buf[8:8 + clen]
            buf = buf[8 + clen + plen:]
            if kind == END:
                return out, True


def main():
    args = sys.argv[1:]
    body_file, then = None, []
    while "--then" in args:
        i = args.index("--then")
        then.append(args[i + 1])
        del args[i:i + 2]
    if "-o" in args:
        i = args.index("-o")
        body_file = args[i + 1]
        del args[i:i + 2]
    address, path = args[0], args[1]
    method = args[2] if len(args) > 2 else "GET"
    body = args[3].encode() if len(args) > 3 else b""
    ctype = args[4] if len(args) > 4 else "application/json"
    s = connect(address)
    out, complete = request(s, path, method, body, ctype, keep=bool(then))
    if body_file is not None:
        head, _, out = out.partition(b"\r\n\r\n")
        sys.stdout.write(head.decode("latin-1") + "\n")
        with open(body_file, "wb") as f:
            f.write(out)
    else:
        sys.stdout.buffer.write(out)
    for path in then:
        if not complete:
            break
        out, complete = request(s, path, keep=True)
        sys.stdout.buffer.write(b"\n" + out)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
