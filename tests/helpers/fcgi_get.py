#!/usr/bin/env python3
"""fcgi_get.py SOCKET PATH [METHOD] - one FastCGI request (GET unless
METHOD says otherwise) straight to a unix socket.

For tests that talk to a voxcat-fcgi without nginx in front. Prints the
response (headers and body) as the application wrote it."""
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


def main():
    sock_path, path = sys.argv[1], sys.argv[2]
    method = sys.argv[3] if len(sys.argv) > 3 else "GET"
    uri, _, query = path.partition("?")
    params = b"".join(pair(k, v) for k, v in {
        "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": uri,
        "QUERY_STRING": query, "REQUEST_URI": path, "REQUEST_ID": "test",
    }.items())
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(sock_path)
    s.sendall(record(BEGIN, struct.pack("!HB5x", 1, 0)) + record(PARAMS, params)
              + record(PARAMS, b"") + record(STDIN, b""))
    out, buf = b"", b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
        while len(buf) >= 8:
            _, kind, _, clen, plen = struct.unpack("!BBHHB", buf[:7])
            if len(buf) < 8 + clen + plen:
                break
            if kind == STDOUT:
                out += buf[8:8 + clen]
            buf = buf[8 + clen + plen:]
            if kind == END:
                sys.stdout.write(out.decode("utf-8", "replace"))
                return 0
    sys.stdout.write(out.decode("utf-8", "replace"))
    return 1


if __name__ == "__main__":
    sys.exit(main())
