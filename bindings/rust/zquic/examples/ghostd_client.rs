//! ghostd_client: calls /walletd.WalletService/GetBalance over GhostBridge (gRPC over HTTP/3),
//! the way ghostd calls walletd; talks to the C `walletd_server` (examples/walletd) or to the
//! Rust `walletd_server` example.
//!
//!   ghostd_client HOST:PORT --ca FILE --account ID [--async] [--timeout MS]
//!
//! Prints the balances as the C walletd_client does; exit status 0 when the call ended OK, 1
//! when not (gRPC status and message on stderr), 2 for a usage error.
#[path = "common/pb.rs"]
mod pb;

use std::process::exit;
use std::time::Duration;
use zquic::{grpc, ConnectOptions, Context};

const GET_BALANCE: &str = "/walletd.WalletService/GetBalance";

fn usage(msg: &str) -> ! {
    eprintln!("ghostd_client: {}", msg);
    eprintln!("usage: ghostd_client HOST:PORT --ca FILE --account ID [--async] [--timeout MS]");
    exit(2)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut addr, mut ca, mut account, mut use_async, mut timeout) = (None, None, None, false, 5000u64);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--ca" => ca = Some(args.next().unwrap_or_else(|| usage("--ca wants a file"))),
            "--account" => account = Some(args.next().unwrap_or_else(|| usage("--account wants an ID"))),
            "--async" => use_async = true,
            "--timeout" => {
                timeout = args.next().and_then(|t| t.parse().ok()).unwrap_or_else(|| usage("--timeout wants milliseconds"))
            }
            "--help" => usage("help"),
            _ if addr.is_none() && !a.starts_with("--") => addr = Some(a),
            _ => usage(&format!("unexpected argument {:?}", a)),
        }
    }
    let addr = addr.unwrap_or_else(|| usage("missing HOST:PORT"));
    let ca = ca.unwrap_or_else(|| usage("--ca is required"));
    let account = account.unwrap_or_else(|| usage("--account is required"));

    let ctx = Context::new().unwrap_or_else(|e| {
        eprintln!("ghostd_client: init: {}", e);
        exit(1)
    });
    let client = grpc::Client::connect(&ctx, &addr, ConnectOptions::new().ca_file(&ca)).unwrap_or_else(|e| {
        eprintln!("ghostd_client: connect to {}: {}", addr, e);
        exit(1)
    });
    let request = pb::encode_get_balance_request(&account);
    let opts = grpc::CallOptions::new().timeout(Some(Duration::from_millis(timeout)));
    let result = if use_async {
        zquic::block_on(client.call_async(GET_BALANCE, &request, &opts))
    } else {
        client.call(GET_BALANCE, &request, &opts)
    };
    let resp = result.unwrap_or_else(|e| {
        eprintln!("ghostd_client: GetBalance: {}", e);
        exit(1)
    });
    if !resp.is_ok() {
        eprintln!("ghostd_client: GetBalance: {}: {}", resp.status, resp.message);
        exit(1)
    }
    let out = pb::decode_get_balance_response(&resp.data).unwrap_or_else(|e| {
        eprintln!("ghostd_client: GetBalance: the reply is not a GetBalanceResponse ({})", e);
        exit(1)
    });
    if !out.success {
        eprintln!("ghostd_client: GetBalance: {}", if out.error_message.is_empty() { "success=false" } else { &out.error_message });
        exit(1)
    }
    let n = out.balances.len();
    println!("wallet {}: {} balance{}", account, n, if n == 1 { "" } else { "s" });
    for b in &out.balances {
        if b.token_address.is_empty() {
            println!("  {} {} ({} decimals)", b.token_symbol, b.balance, b.decimals);
        } else {
            println!("  {} {} ({} decimals, token {})", b.token_symbol, b.balance, b.decimals, b.token_address);
        }
    }
}
