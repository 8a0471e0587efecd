//! The Rust GhostBridge examples against the C ones of examples/walletd: the Rust ghostd_client
//! calls the C walletd_server, and the C walletd_client calls the Rust walletd_server.
//! The C programs are found in $ZQUIC_BIN_DIR/examples/walletd (scripts/test.sh sets it to the
//! build directory), else in ../../../build.
mod common;
use common::{cert, repo};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

fn c_walletd(name: &str) -> PathBuf {
    let dir = std::env::var_os("ZQUIC_BIN_DIR").map(PathBuf::from).unwrap_or_else(|| repo().join("build"));
    let p = dir.join("examples/walletd").join(name);
    assert!(p.exists(), "{} not built (build zquic with its examples, or set ZQUIC_BIN_DIR)", p.display());
    p
}

/// A Rust example binary: cargo builds the examples before running the tests, next to deps/.
fn rust_example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let p = exe.parent().unwrap().parent().unwrap().join("examples").join(name);
    assert!(p.exists(), "{} not built", p.display());
    p
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a walletd server on port 0 and returns it with the address from its first line.
fn start_server(path: PathBuf) -> (Killed, String) {
    let mut child = Command::new(path)
        .args(["--listen", "127.0.0.1:0", "--cert", &cert("server-chain.pem"), "--key", &cert("server.key")])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("first line {:?}", line)).to_string();
    (Killed(child), addr)
}

fn run(path: PathBuf, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(path).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const ALICE: &str = "wallet alice: 2 balances\n  GCC 1250.500000 (6 decimals)\n  ETH 0.750000000000000000 (18 decimals, token 0x0000000000000000000000000000000000000000)\n";

#[test]
fn rust_ghostd_client_calls_c_walletd_server() {
    let (_server, addr) = start_server(c_walletd("walletd_server"));
    let ca = cert("ca.pem");
    for mode in [&[][..], &["--async"][..]] {
        let mut args = vec![addr.as_str(), "--ca", &ca, "--account", "alice"];
        args.extend_from_slice(mode);
        let (rc, out, err) = run(rust_example("ghostd_client"), &args);
        assert_eq!(rc, 0, "{}", err);
        assert_eq!(out, ALICE);
    }
    let (rc, out, _) = run(rust_example("ghostd_client"), &[&addr, "--ca", &ca, "--account", "dormant"]);
    assert_eq!((rc, out.as_str()), (0, "wallet dormant: 0 balances\n"));
    let (rc, _, err) = run(rust_example("ghostd_client"), &[&addr, "--ca", &ca, "--account", "nobody"]);
    assert_eq!(rc, 1);
    assert!(err.contains("GetBalance: NOT_FOUND: no wallet \"nobody\""), "{}", err);
    let (rc, _, err) = run(rust_example("ghostd_client"), &[&addr, "--ca", &cert("other-ca.pem"), "--account", "alice"]);
    assert_eq!(rc, 1);
    assert!(err.contains("connect to"), "{}", err);
}

#[test]
fn c_walletd_client_calls_rust_walletd_server() {
    let (_server, addr) = start_server(rust_example("walletd_server"));
    let ca = cert("ca.pem");
    let (rc, out, err) = run(c_walletd("walletd_client"), &[&addr, "--ca", &ca, "--account", "alice"]);
    assert_eq!(rc, 0, "{}", err);
    assert_eq!(out, ALICE);
    let (rc, out, _) = run(c_walletd("walletd_client"), &[&addr, "--ca", &ca, "--account", "bob"]);
    assert_eq!(rc, 0);
    assert!(out.contains("  GCC 42.000000 (6 decimals)\n"), "{}", out);
    let (rc, _, err) = run(c_walletd("walletd_client"), &[&addr, "--ca", &ca, "--account", "nobody"]);
    assert_eq!(rc, 1);
    assert!(err.contains("GetBalance: NOT_FOUND: no wallet \"nobody\""), "{}", err);
    let (rc, _, err) = run(c_walletd("walletd_client"), &[&addr, "--ca", &ca, "--request-hex", "ff"]);
    assert_eq!(rc, 1);
    assert!(err.contains("INVALID_ARGUMENT"), "{}", err);
    // A deferred answer (from a thread of the Rust server), read by the Rust client.
    let (rc, out, err) = run(rust_example("ghostd_client"), &[&addr, "--ca", &ca, "--account", "slow-treasury", "--async"]);
    assert_eq!(rc, 0, "{}", err);
    assert!(out.contains("GCC 1000000.000000"), "{}", out);
}

#[test]
fn blake3_file_matches_the_zquic_tool() {
    let file = repo().join("tests/data/example.zone");
    let (rc, out, err) = run(rust_example("blake3_file"), &[file.to_str().unwrap()]);
    assert_eq!(rc, 0, "{}", err);
    let want = zquic::crypto::hex(&zquic::crypto::blake3(&std::fs::read(&file).unwrap()));
    assert_eq!(out, format!("{}  {}\n", want, file.display()));
}
