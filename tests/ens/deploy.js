// deploy.js PORT OUT_FILE — a local Ethereum chain with ENS on it, for tests/interop/ens.sh.
//
// Starts ganache (npm ganache@7.9.2, JS API) on 127.0.0.1:PORT, deploys the compiled ENSRegistry
// of @ensdomains/ens@0.6.2 and PublicResolver of @ensdomains/resolver@0.3.1 from the packages'
// own build artifacts (bytecode + ABI, nothing compiled here), and sets, for zquic.eth:
//   addr         0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed (the EIP-55 example address)
//   text         url=https://zquic.example, com.github=zquic-dev
//   contenthash  the ENSIP-7 example (ipfs)
//   DNS records  (setDNSRecords, wire format) zquic.eth A 192.0.2.10, AAAA 2001:db8::10,
//                TXT "v=zquic"; www.zquic.eth A 192.0.2.11 (a subname with no resolver of its
//                own: ENS's DNS profile keeps it on the parent's node)
// then writes {"registry", "resolver", "addr"} as JSON to OUT_FILE and keeps serving until it is
// killed. Keccak-256 comes from the chain itself (web3_sha3), so no other package is needed.
"use strict";
const path = require("path");
const fs = require("fs");

const [port, outFile, modules] = process.argv.slice(2);
if (!port || !outFile) {
  console.error("usage: node deploy.js PORT OUT_FILE [NODE_MODULES]");
  process.exit(2);
}
const nm = modules || path.join(process.cwd(), "node_modules");
const ganache = require(path.join(nm, "ganache"));
const Registry = require(path.join(nm, "@ensdomains/ens/build/contracts/ENSRegistry.json"));
const Resolver = require(path.join(nm, "@ensdomains/resolver/build/contracts/PublicResolver.json"));

const ADDR = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const CONTENTHASH = "e3010170122029f2d17be6139079dc48696d1f582a8530eb9805b561eda517e22a892c7e3f1f";

const hex = (buf) => Buffer.from(buf).toString("hex");
const word = (h) => h.replace(/^0x/, "").padStart(64, "0");
const uint = (n) => BigInt(n).toString(16).padStart(64, "0");
// ABI tail of a dynamic `bytes`/`string` value: length word, data padded to 32 bytes.
const dyn = (h) => uint(h.length / 2) + h.padEnd(Math.ceil(h.length / 64) * 64, "0");

function wireName(name) {
  const parts = name.split(".").filter((l) => l.length);
  return Buffer.concat([...parts.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0])]);
}
function rr(name, type, ttl, rdata) {
  const head = Buffer.alloc(10);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(1, 2); // IN
  head.writeUInt32BE(ttl, 4);
  head.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([wireName(name), head, rdata]);
}

async function main() {
  const server = ganache.server({
    logging: { quiet: true },
    wallet: { deterministic: true, totalAccounts: 2 },
    chain: { chainId: 1337 },
  });
  await server.listen(Number(port), "127.0.0.1");
  const rpc = (method, params) => server.provider.request({ method, params });
  const keccak = async (data) => (await rpc("web3_sha3", ["0x" + hex(data)])).slice(2);
  const selector = async (sig) => (await keccak(Buffer.from(sig))).slice(0, 8);
  const [from] = await rpc("eth_accounts", []);

  async function send(to, data) {
    const tx = { from, data: "0x" + data, gas: "0x7a1200" };
    if (to) tx.to = to;
    const hash = await rpc("eth_sendTransaction", [tx]);
    const receipt = await rpc("eth_getTransactionReceipt", [hash]);
    if (!receipt || receipt.status !== "0x1") throw new Error("transaction failed: " + JSON.stringify(receipt));
    return receipt;
  }
  async function call(to, sig, ...words) {
    return send(to, (await selector(sig)) + words.join(""));
  }
  const namehash = async (name) => {
    let node = "00".repeat(32);
    for (const label of name.split(".").reverse())
      node = await keccak(Buffer.from(node + (await keccak(Buffer.from(label))), "hex"));
    return node;
  };

  const registry = (await send(null, Registry.bytecode.replace(/^0x/, ""))).contractAddress;
  const resolver = (await send(null, Resolver.bytecode.replace(/^0x/, "") + word(registry))).contractAddress;

  const root = "00".repeat(32);
  await call(registry, "setSubnodeOwner(bytes32,bytes32,address)", root, await keccak(Buffer.from("eth")), word(from));
  await call(registry, "setSubnodeOwner(bytes32,bytes32,address)", await namehash("eth"),
    await keccak(Buffer.from("zquic")), word(from));
  const node = await namehash("zquic.eth");
  await call(registry, "setResolver(bytes32,address)", node, word(resolver));

  await call(resolver, "setAddr(bytes32,address)", node, word(ADDR));
  for (const [k, v] of [["url", "https://zquic.example"], ["com.github", "zquic-dev"]])
    await call(resolver, "setText(bytes32,string,string)", node, uint(96), uint(96 + 32 + Math.ceil(k.length / 32) * 32),
      dyn(hex(k)) + dyn(hex(v)));
  await call(resolver, "setContenthash(bytes32,bytes)", node, uint(64), dyn(CONTENTHASH));

  const txt = Buffer.from("v=zquic");
  const records = Buffer.concat([
    rr("zquic.eth", 1, 3600, Buffer.from([192, 0, 2, 10])),
    rr("zquic.eth", 28, 3600, Buffer.from("20010db8000000000000000000000010", "hex")),
    rr("zquic.eth", 16, 3600, Buffer.concat([Buffer.from([txt.length]), txt])),
    rr("www.zquic.eth", 1, 300, Buffer.from([192, 0, 2, 11])),
  ]);
  await call(resolver, "setDNSRecords(bytes32,bytes)", node, uint(64), dyn(hex(records)));

  fs.writeFileSync(outFile + ".tmp", JSON.stringify({ registry, resolver, addr: ADDR }) + "\n");
  fs.renameSync(outFile + ".tmp", outFile);
  console.log("ens chain ready on 127.0.0.1:" + port + " registry " + registry);
}

main().catch((e) => {
  console.error("deploy.js: " + (e && e.stack ? e.stack : e));
  process.exit(1);
});
