//! walletd_server: a GhostBridge server answering /walletd.WalletService/GetBalance from the
//! same in-memory ledger as the C example (examples/walletd/README.md), so the C
//! `walletd_client` and the Rust `ghostd_client` get the same answers from either.
//!
//!   walletd_server --cert FILE --key FILE [--listen ADDR:PORT]
//!
//! Prints "listening on HOST:PORT" once ready; runs until killed. A wallet whose ID starts with
//! "slow-" is answered 100 ms later from another thread (a deferred answer).
#[path = "common/pb.rs"]
mod pb;

use std::process::exit;
use std::time::Duration;
use zquic::{grpc, Context, ServerConfig};

fn balances(wallet: &str) -> Option<Vec<pb::BalanceInfo>> {
    let row = |s: &str, b: &str, d: i32, t: &str| pb::BalanceInfo {
        token_symbol: s.into(),
        balance: b.into(),
        decimals: d,
        token_address: t.into(),
    };
    match wallet {
        "alice" => Some(vec![
            row("GCC", "1250.500000", 6, ""),
            row("ETH", "0.750000000000000000", 18, "0x0000000000000000000000000000000000000000"),
        ]),
        "bob" => Some(vec![row("GCC", "42.000000", 6, "")]),
        "treasury" => Some(vec![row("GCC", "1000000.000000", 6, "")]),
        "dormant" => Some(vec![]),
        _ => None,
    }
}

fn answer(call: grpc::Call, wallet: &str) {
    let _ = match balances(wallet) {
        Some(balances) => {
            let resp = pb::GetBalanceResponse { success: true, balances, error_message: String::new() };
            call.reply(&pb::encode_get_balance_response(&resp))
        }
        None => call.finish(grpc::Status::NOT_FOUND, &format!("no wallet {:?}", wallet)),
    };
}

fn get_balance(call: grpc::Call, request: &[u8]) {
    let wallet = match pb::decode_get_balance_request(request) {
        Ok(w) => w,
        Err(_) => {
            let _ = call.finish(grpc::Status::INVALID_ARGUMENT, "GetBalanceRequest does not decode");
            return;
        }
    };
    if wallet.is_empty() {
        let _ = call.finish(grpc::Status::INVALID_ARGUMENT, "wallet_id is empty");
    } else if let Some(real) = wallet.strip_prefix("slow-") {
        // Never block the loop thread: answer later, from another thread.
        let real = real.to_string();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            answer(call, &real);
        });
    } else {
        answer(call, &wallet);
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut listen, mut cert, mut key) = ("127.0.0.1:50051".to_string(), None, None);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--listen" => listen = args.next().unwrap_or_default(),
            "--cert" => cert = args.next(),
            "--key" => key = args.next(),
            _ => {
                eprintln!("usage: walletd_server --cert FILE --key FILE [--listen ADDR:PORT]");
                exit(2)
            }
        }
    }
    let (cert, key) = match (cert, key) {
        (Some(c), Some(k)) => (c, k),
        _ => {
            eprintln!("walletd_server: --cert and --key are required");
            exit(2)
        }
    };
    let ctx = Context::new().unwrap_or_else(|e| {
        eprintln!("walletd_server: init: {}", e);
        exit(1)
    });
    let server = grpc::Server::builder(&ctx)
        .method("/walletd.WalletService/GetBalance", get_balance)
        .serve(&ServerConfig::new().listen(&listen).cert_file(&cert).key_file(&key))
        .unwrap_or_else(|e| {
            eprintln!("walletd_server: listen on {}: {}", listen, e);
            exit(1)
        });
    let host = listen.rsplit_once(':').map(|(h, _)| h).unwrap_or("");
    println!("listening on {}:{}", host, server.port().expect("port"));
    loop {
        std::thread::park();
    }
}
