#!/usr/bin/env python3
"""udp_flood.py — a UDP relay in front of a QUIC server that also attacks it (tests/net/flood.sh).

Clients send to --listen (127.0.0.1:0; the port goes to --port-file). Each client source address
gets its own upstream socket to --target, as with a NAT; replies go back to the client. The relay
keeps a copy of the first --capture client->server datagrams (Initials, Handshake, 1-RTT) and
learns the Destination Connection IDs of the short-header packets it relays.

Once --flood-after server->client datagrams have been relayed (a transfer is running), a second
thread sends --count datagrams to the server from --sockets other sockets, cycling through:
  random        random bytes, 1..1500 long
  trunc-initial a captured Initial cut short
  fake-initial  a well-formed Initial header (version 1, random CIDs) with a garbage payload,
                padded to 1200 bytes: passes ngtcp2_accept, fails decryption
  replay        a captured datagram replayed byte for byte (from another source address)
  live-dcid     a short-header packet carrying a live connection's DCID and a garbage payload
  bitflip       a captured datagram with one bit flipped
  unknown-ver   a long header with an unknown version (the server may answer with Version
                Negotiation)
The flood is paced in bursts so it overlaps the transfer instead of just filling socket buffers.
Runs until SIGTERM/SIGINT or --duration; prints one summary line (key=value) on stdout.
"""
import argparse
import os
import random
import selectors
import signal
import socket
import struct
import sys
import threading
import time

CID_LEN = 18  # zquic issues 18-byte connection IDs (src/core/internal.h ZQ_CID_LEN)
KINDS = ["random", "trunc-initial", "fake-initial", "replay", "live-dcid", "bitflip", "unknown-ver"]


def varint(n):
    if n < 64:
        return bytes([n])
    if n < 16384:
        return struct.pack(">H", 0x4000 | n)
    return struct.pack(">I", 0x80000000 | n)


def is_initial(d):
    # Long header, QUIC v1, packet type Initial (0b00).
    return len(d) >= 7 and d[0] & 0xC0 == 0xC0 and (d[0] >> 4) & 3 == 0 and d[1:5] == b"\0\0\0\1"


class Relay:
    def __init__(self, args):
        self.args = args
        self.target = ("127.0.0.1", args.target)
        self.sel = selectors.DefaultSelector()
        self.listen = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.listen.bind(("127.0.0.1", 0))
        self.listen.setblocking(False)
        self.sel.register(self.listen, selectors.EVENT_READ, None)
        self.upstream = {}  # client address -> socket
        self.captured = []
        self.dcids = set()
        self.lock = threading.Lock()
        self.up = self.down = self.down_after_flood = 0
        self.flood_started = threading.Event()
        self.flood_done = threading.Event()
        self.sent = {k: 0 for k in KINDS}
        self.answers = 0
        self.stop = False

    def run(self):
        deadline = time.monotonic() + self.args.duration
        while not self.stop and time.monotonic() < deadline:
            for key, _ in self.sel.select(0.05):
                sock, client = key.fileobj, key.data
                for _ in range(64):
                    try:
                        data, addr = sock.recvfrom(65536)
                    except BlockingIOError:
                        break
                    if client is None:
                        self.from_client(data, addr)
                    else:
                        self.from_server(data, client, sock)

    def from_client(self, data, addr):
        up = self.upstream.get(addr)
        if up is None:
            up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            up.bind(("127.0.0.1", 0))
            up.connect(self.target)
            up.setblocking(False)
            self.upstream[addr] = up
            self.sel.register(up, selectors.EVENT_READ, addr)
        with self.lock:
            if len(self.captured) < self.args.capture:
                self.captured.append(data)
            if data and not data[0] & 0x80 and len(data) > CID_LEN:
                self.dcids.add(data[1 : 1 + CID_LEN])
        self.up += 1
        try:
            up.send(data)
        except OSError:
            pass

    def from_server(self, data, client, sock):
        self.down += 1
        if self.flood_done.is_set():
            self.down_after_flood += 1
        if self.down == self.args.flood_after:
            self.flood_started.set()
        try:
            self.listen.sendto(data, client)
        except OSError:
            pass

    def flood(self):
        self.flood_started.wait()
        if self.stop:
            return
        rng = random.Random(self.args.seed)
        socks = []
        for _ in range(self.args.sockets):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            s.setblocking(False)
            socks.append(s)
        with self.lock:
            captured = list(self.captured)
            dcids = list(self.dcids)
        initials = [d for d in captured if is_initial(d)] or [b"\xc0\0\0\0\1" + bytes(1195)]
        captured = captured or initials
        dcids = dcids or [os.urandom(CID_LEN)]
        t0 = time.monotonic()
        for i in range(self.args.count):
            if self.stop:
                break
            kind = KINDS[i % len(KINDS)]
            if kind == "random":
                d = rng.randbytes(rng.randint(1, 1500))
            elif kind == "trunc-initial":
                src = rng.choice(initials)
                d = src[: rng.randint(1, len(src) - 1)]
            elif kind == "fake-initial":
                dcid, scid = rng.randbytes(rng.randint(8, 20)), rng.randbytes(rng.randint(0, 20))
                hdr = (bytes([0xC0 | rng.randint(0, 3)]) + b"\0\0\0\1" + bytes([len(dcid)]) + dcid
                       + bytes([len(scid)]) + scid + varint(0))
                body_len = 1200 - len(hdr) - 2
                d = hdr + varint(body_len) + rng.randbytes(body_len)
            elif kind == "replay":
                d = rng.choice(captured)
            elif kind == "live-dcid":
                d = bytes([0x40 | rng.randint(0, 0x3F)]) + rng.choice(dcids) + rng.randbytes(
                    rng.randint(20, 1200))
            elif kind == "bitflip":
                b = bytearray(rng.choice(captured))
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
                d = bytes(b)
            else:  # unknown-ver
                d = bytes([0xC0]) + b"\x1a\x2a\x3a\x4a" + bytes([8]) + rng.randbytes(8) + bytes(
                    [8]) + rng.randbytes(8) + rng.randbytes(1200 - 23)
            s = socks[i % len(socks)]
            try:
                s.sendto(d, self.target)
                self.sent[kind] += 1
            except OSError:
                pass  # a full socket buffer: the datagram is lost, as on a real network
            if i % self.args.burst == self.args.burst - 1:
                time.sleep(self.args.pause)
                self.answers += drain(socks)
        self.flood_seconds = time.monotonic() - t0
        time.sleep(0.2)
        self.answers += drain(socks)
        self.flood_done.set()


def drain(socks):
    n = 0
    for s in socks:
        while True:
            try:
                s.recv(65536)
                n += 1
            except (BlockingIOError, ConnectionRefusedError):
                break
    return n


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--target", type=int, required=True, help="server UDP port on 127.0.0.1")
    p.add_argument("--port-file", required=True)
    p.add_argument("--count", type=int, default=20000)
    p.add_argument("--sockets", type=int, default=8)
    p.add_argument("--capture", type=int, default=2000)
    p.add_argument("--flood-after", type=int, default=500)
    p.add_argument("--burst", type=int, default=200)
    p.add_argument("--pause", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--duration", type=float, default=120)
    args = p.parse_args()
    relay = Relay(args)
    relay.flood_seconds = 0.0

    def on_signal(*_):
        relay.stop = True
        relay.flood_started.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % relay.listen.getsockname()[1])
    os.rename(tmp, args.port_file)
    flooder = threading.Thread(target=relay.flood)
    flooder.start()
    relay.run()
    relay.stop = True
    relay.flood_started.set()
    flooder.join()
    fields = dict(relayed_up=relay.up, relayed_down=relay.down, down_after_flood=relay.down_after_flood,
                  clients=len(relay.upstream), captured=len(relay.captured), dcids=len(relay.dcids),
                  flood_sent=sum(relay.sent.values()), flood_seconds="%.2f" % relay.flood_seconds,
                  flood_answers=relay.answers, flood_done=int(relay.flood_done.is_set()))
    fields.update({"sent_" + k.replace("-", "_"): v for k, v in relay.sent.items()})
    print("udp_flood: " + " ".join("%s=%s" % kv for kv in fields.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
