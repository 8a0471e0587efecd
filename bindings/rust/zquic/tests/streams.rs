//! Contexts, connections and streams on loopback, blocking and async, and connect errors.
mod common;
use common::cert;
use std::io::{Read, Write};
use std::thread;
use std::time::Duration;
use zquic::{block_on, ConnectOptions, Context, ErrorKind, ServerConfig};

fn echo_server(ctx: &Context) -> (zquic::Server, u16) {
    let server = ctx
        .listen(&ServerConfig::new().listen("127.0.0.1:0").cert_file(&cert("server-chain.pem")).key_file(&cert("server.key")).alpn("echo"))
        .unwrap();
    let port = server.port().unwrap();
    (server, port)
}

/// Accepts connections and echoes every stream, on its own thread, until the server is gone.
fn serve_echo(server: zquic::Server) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        while let Ok(conn) = server.accept(Some(Duration::from_secs(10))) {
            thread::spawn(move || {
                while let Ok(mut s) = conn.accept_stream(Some(Duration::from_secs(5))) {
                    let mut buf = Vec::new();
                    s.read_to_end(&mut buf).unwrap();
                    s.write_all(&buf).unwrap();
                    s.finish().unwrap();
                }
            });
        }
    })
}

#[test]
fn blocking_echo_over_a_stream() {
    let server_ctx = Context::new().unwrap();
    let (server, port) = echo_server(&server_ctx);
    let _t = serve_echo(server);
    let ctx = Context::builder().ca_file(&cert("ca.pem")).alpn("echo").build().unwrap();
    let conn = ctx.connect(&format!("localhost:{}", port)).unwrap();
    assert_eq!(conn.alpn(), "echo");
    let info = conn.info().unwrap();
    assert_eq!(info.state, zquic::State::Connected);
    assert!(info.remote_address.ends_with(&format!(":{}", port)), "{:?}", info);
    let payload: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
    let mut s = conn.open_bidi(Some(Duration::from_secs(5))).unwrap();
    s.set_timeout(Some(Duration::from_secs(10)));
    assert_eq!(s.id() & 3, 0, "client-initiated bidi");
    s.write_all(&payload).unwrap();
    s.finish().unwrap();
    let mut back = Vec::new();
    s.read_to_end(&mut back).unwrap();
    assert_eq!(back, payload);
    // Dropped in the "wrong" order on purpose: the stream keeps its connection and context.
    drop(ctx);
    drop(conn);
    drop(s);
}

#[test]
fn async_connect_and_stream_futures() {
    let server_ctx = Context::new().unwrap();
    let (server, port) = echo_server(&server_ctx);
    let _t = serve_echo(server);
    let ctx = Context::builder().ca_file(&cert("ca.pem")).build().unwrap();
    block_on(async {
        let conn = ctx.connect_async(&format!("127.0.0.1:{}", port), &ConnectOptions::new().alpn("echo")).await.unwrap();
        let mut s = conn.open_bidi(Some(Duration::from_secs(5))).unwrap();
        s.write_all_async(b"hello async", true).await.unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        loop {
            let n = s.read_async(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, b"hello async");
    });
}

#[test]
fn connect_errors_carry_code_and_detail() {
    let server_ctx = Context::new().unwrap();
    let (server, port) = echo_server(&server_ctx);
    let _t = serve_echo(server);

    // A CA that did not sign the server's certificate.
    let ctx = Context::builder().ca_file(&cert("other-ca.pem")).alpn("echo").connection_timeout(Duration::from_secs(5)).build().unwrap();
    let e = ctx.connect(&format!("localhost:{}", port)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CertVerify, "{:?}", e);
    assert_eq!(e.code(), -11);
    assert!(!e.detail().is_empty());
    assert!(e.to_string().contains(e.detail()));
    // The same through the async path.
    let e = block_on(ctx.connect_async(&format!("localhost:{}", port), &ConnectOptions::new())).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::CertVerify | ErrorKind::Handshake | ErrorKind::Tls), "{:?}", e);

    // Malformed and unresolvable addresses.
    let ctx = Context::builder().ca_file(&cert("ca.pem")).build().unwrap();
    let e = ctx.connect("127.0.0.1:notaport").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{:?}", e);
    let e = ctx.connect("no-such-host.invalid:443").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Resolve, "{:?}", e);
    let e = ctx.connect("bad\0address:1").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    // io::Error conversion keeps the message.
    let io: std::io::Error = e.into();
    assert_eq!(io.kind(), std::io::ErrorKind::InvalidInput);

    // A server with a certificate file that does not exist.
    let e = ctx.listen(&ServerConfig::new().listen("127.0.0.1:0").cert_file("/nonexistent.pem").key_file("/nonexistent.key")).unwrap_err();
    assert!(e.code() < 0, "{:?}", e);
}

#[test]
fn accept_times_out() {
    let ctx = Context::new().unwrap();
    let (server, _) = echo_server(&ctx);
    let e = server.accept(Some(Duration::from_millis(50))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(zquic::version().starts_with("zquic "));
}
