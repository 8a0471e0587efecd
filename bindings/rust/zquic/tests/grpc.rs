//! GhostBridge: a Rust server and client on loopback, blocking and async calls, statuses,
//! metadata, deferred answers and a dropped (unanswered) call.
mod common;
use common::cert;
use std::time::Duration;
use zquic::grpc::{self, CallOptions, Status};
use zquic::{block_on, ConnectOptions, Context, ServerConfig};

fn start(ctx: &Context) -> grpc::Server {
    grpc::Server::builder(ctx)
        .method("/test.Echo/Echo", |call, req| {
            let _ = call.reply(req);
        })
        .method("/test.Echo/Who", |call, _req| {
            let who = call.metadata("x-who").unwrap_or_default();
            let mut out = call.method().into_bytes();
            out.push(b' ');
            out.extend_from_slice(&who);
            let _ = call.reply(&out);
        })
        .method("/test.Echo/Later", |call, req| {
            let req = req.to_vec();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                let _ = call.reply(&req);
            });
        })
        .method("/test.Echo/Missing", |call, _| {
            let _ = call.finish(Status::NOT_FOUND, "nothing here");
        })
        .method("/test.Echo/Dropped", |_call, _| {})
        .method("/test.Echo/Panics", |_call, _| panic!("handler bug"))
        .serve(&ServerConfig::new().listen("127.0.0.1:0").cert_file(&cert("server-chain.pem")).key_file(&cert("server.key")))
        .unwrap()
}

#[test]
fn unary_calls_blocking_and_async() {
    let sctx = Context::new().unwrap();
    let server = start(&sctx);
    let port = server.port().unwrap();
    let ctx = Context::new().unwrap();
    let client = grpc::Client::connect(&ctx, &format!("localhost:{}", port), ConnectOptions::new().ca_file(&cert("ca.pem"))).unwrap();
    let opts = CallOptions::new().timeout(Some(Duration::from_secs(5)));

    let r = client.call("/test.Echo/Echo", b"ping", &opts).unwrap();
    assert!(r.is_ok(), "{:?}", r);
    assert_eq!(r.data, b"ping");
    assert_eq!(r.http_status, 200);

    let r = client.call("/test.Echo/Who", b"", &opts.clone().metadata("x-who", b"ghostd")).unwrap();
    assert_eq!(r.data, b"/test.Echo/Who ghostd");

    let r = client.call("/test.Echo/Missing", b"", &opts).unwrap();
    assert_eq!(r.status, Status::NOT_FOUND);
    assert_eq!(r.message, "nothing here");
    assert_eq!(r.status.to_string(), "NOT_FOUND");

    let r = client.call("/test.Echo/Nope", b"", &opts).unwrap();
    assert_eq!(r.status, Status::UNIMPLEMENTED);

    // A handler that drops the call, and one that panics: both answered UNKNOWN, server lives.
    assert_eq!(client.call("/test.Echo/Dropped", b"", &opts).unwrap().status, Status::UNKNOWN);
    assert_eq!(client.call("/test.Echo/Panics", b"", &opts).unwrap().status, Status::UNKNOWN);

    // Async: many calls in flight at once on one connection, completed by the library callback.
    let futures: Vec<_> = (0..20u8)
        .map(|i| client.call_async(if i % 2 == 0 { "/test.Echo/Echo" } else { "/test.Echo/Later" }, &[i; 3], &opts))
        .collect();
    for (i, f) in futures.into_iter().enumerate() {
        let r = block_on(f).unwrap();
        assert!(r.is_ok(), "{:?}", r);
        assert_eq!(r.data, vec![i as u8; 3]);
    }
    // A method name with a NUL: an error before anything is sent.
    let e = block_on(client.call_async("/bad\0name", b"", &opts)).unwrap_err();
    assert_eq!(e.kind(), zquic::ErrorKind::InvalidArgument);
    server.shutdown(Duration::from_secs(1)).unwrap();
}

#[test]
fn deadline_exceeded_and_server_gone() {
    let sctx = Context::new().unwrap();
    let server = start(&sctx);
    let port = server.port().unwrap();
    let ctx = Context::new().unwrap();
    let client = grpc::Client::connect(&ctx, &format!("127.0.0.1:{}", port), ConnectOptions::new().ca_file(&cert("ca.pem"))).unwrap();
    let r = client.call("/test.Echo/Later", b"x", &CallOptions::new().timeout(Some(Duration::from_millis(10)))).unwrap();
    assert_eq!(r.status, Status::DEADLINE_EXCEEDED, "{:?}", r);
    // The Later handler still holds its Call for ~50 ms, and with it the server: a Call keeps
    // the service alive until answered. Then the socket closes.
    drop(server);
    drop(sctx);
    std::thread::sleep(Duration::from_millis(300));
    let r = client.call("/test.Echo/Echo", b"x", &CallOptions::new().timeout(Some(Duration::from_secs(2))));
    match r {
        Ok(r) => assert!(!r.is_ok(), "{:?}", r),
        Err(e) => assert!(e.code() < 0),
    }
}
