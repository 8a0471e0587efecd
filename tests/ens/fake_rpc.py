#!/usr/bin/env python3
"""fake_rpc.py PORT_FILE MODE — a stand-in Ethereum JSON-RPC endpoint on 127.0.0.1 (port 0, the
bound port written to PORT_FILE) for tests/interop/ens.sh. It knows nothing of Keccak, so it
answers by function selector alone:

  canned  every name has a resolver; addr() is the EIP-55 example address, text("url") is
          "https://fake.example", dnsRecord(..., A) is "fake.eth. 300 IN A 192.0.2.99"
  evil    hostile ABI: resolver() returns an offset-sized word with non-zero padding, the
          resolver's calls return bytes whose length points far past the data
  hang    accepts connections and reads, never answers (a stalled node)

It stops by itself after 120 seconds.
"""
import json
import os
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port_file, mode = sys.argv[1], sys.argv[2]
RESOLVER = "00" * 12 + "11" * 20
ADDR = "00" * 12 + "5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"


def word(n):
    return "%064x" % n


def abi_bytes(data):
    h = data.hex()
    return word(32) + word(len(data)) + h.ljust((len(h) + 63) // 64 * 64, "0")


def a_record():
    name = bytes([4]) + b"fake" + bytes([3]) + b"eth" + bytes([0])
    return name + bytes.fromhex("0001" "0001" "0000012c" "0004") + bytes([192, 0, 2, 99])


def answer(data):
    sel, args = data[2:10], data[10:]
    if mode == "evil":
        if sel == "0178b8bf":
            return "0x" + "ff" * 12 + "11" * 20
        return "0x" + word(32) + word(2**40) + "00" * 32
    if sel == "0178b8bf":  # resolver(bytes32)
        return "0x" + RESOLVER
    if sel == "3b3b57de":  # addr(bytes32)
        return "0x" + ADDR
    if sel == "59d1d43c":  # text(bytes32,string): the key is the third word's data
        n = int(args[128:192], 16)
        key = bytes.fromhex(args[192:192 + 2 * n])
        return "0x" + abi_bytes(b"https://fake.example" if key == b"url" else b"")
    if sel == "a8fa5682" and int(args[128:192], 16) == 1:  # dnsRecord(node, name, A)
        return "0x" + abi_bytes(a_record())
    return "0x" + abi_bytes(b"")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        reqs = json.loads(body)
        single = isinstance(reqs, dict)
        out = []
        for r in [reqs] if single else reqs:
            out.append({"jsonrpc": "2.0", "id": r["id"],
                        "result": answer(r["params"][0]["data"])})
        data = json.dumps(out[0] if single else out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def write_port(port):
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(port_file + ".tmp", port_file)


threading.Timer(120, lambda: os._exit(0)).start()
if mode == "hang":
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    write_port(s.getsockname()[1])
    held = []
    while True:
        c, _ = s.accept()
        held.append(c)  # never answered, never closed
else:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    write_port(srv.server_address[1])
    srv.serve_forever()
