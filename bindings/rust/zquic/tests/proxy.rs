//! Wraith: a Rust GhostBridge server as the HTTP/3 backend, a Proxy in front of it on loopback,
//! calls through the proxy, its counters, and the errors of the API.
mod common;
use common::cert;
use std::time::Duration;
use zquic::grpc::{self, CallOptions};
use zquic::proxy::{self, Backend, BackendProtocol, Proxy, ProxyConfig};
use zquic::{ConnectOptions, Context, ErrorKind, ServerConfig};

fn backend(ctx: &Context) -> grpc::Server {
    grpc::Server::builder(ctx)
        .method("/test.Echo/Echo", |call, req| {
            let _ = call.reply(req);
        })
        .serve(&ServerConfig::new().listen("127.0.0.1:0").cert_file(&cert("server-chain.pem")).key_file(&cert("server.key")))
        .unwrap()
}

fn listener() -> ProxyConfig {
    ProxyConfig::new().listen("127.0.0.1:0").cert(&cert("server-chain.pem"), &cert("server.key"))
}

#[test]
fn grpc_through_the_proxy() {
    let sctx = Context::new().unwrap();
    let server = backend(&sctx);
    let backend_addr = format!("127.0.0.1:{}", server.port().unwrap());

    let pctx = Context::new().unwrap();
    let proxy = Proxy::create(&pctx, &listener().backend(&backend_addr).backend_ca_file(&cert("ca.pem"))).unwrap();
    // A second pool with the same server, and a route of the Echo service to it.
    proxy.add_backend(&Backend::new(&backend_addr).pool("grpc").ca_file(&cert("ca.pem")).sni("localhost")).unwrap();
    proxy.route(None, "/test.Echo", "grpc").unwrap();
    let port = proxy.port(0).unwrap();
    assert_ne!(port, 0);
    assert_eq!(proxy.port(1).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(proxy.metrics_port(), None);

    let ctx = Context::new().unwrap();
    let client = grpc::Client::connect(&ctx, &format!("localhost:{}", port), ConnectOptions::new().ca_file(&cert("ca.pem"))).unwrap();
    let opts = CallOptions::new().timeout(Some(Duration::from_secs(5)));
    for i in 0..3u8 {
        let r = client.call("/test.Echo/Echo", &[b'p', i], &opts).unwrap();
        assert!(r.is_ok(), "{:?}", r);
        assert_eq!(r.data, vec![b'p', i]);
        assert_eq!(r.http_status, 200);
    }

    let st = proxy.stats().unwrap();
    assert!(st.requests >= 3, "{:?}", st);
    assert!(st.responses[2] >= 3, "{:?}", st);
    assert_eq!((st.pools, st.backends), (2, 2), "{:?}", st);
    let bs = proxy.backend_stats().unwrap();
    assert_eq!(bs.len(), 2, "{:?}", bs);
    assert_eq!((bs[0].pool.as_str(), bs[0].address.as_str()), ("default", backend_addr.as_str()));
    assert_eq!((bs[1].pool.as_str(), bs[1].address.as_str()), ("grpc", backend_addr.as_str()));
    assert_eq!(bs[1].protocol, BackendProtocol::H3);
    assert!(bs[1].healthy, "{:?}", bs[1]);
    assert!(bs[1].requests >= 3, "{:?}", bs);
    assert_eq!(bs[0].requests, 0, "the route sent everything to \"grpc\": {:?}", bs);

    // Dropped before its context is (the proxy holds it): any order is fine.
    drop(pctx);
    drop(proxy);
}

#[test]
fn api_errors() {
    let ctx = Context::new().unwrap();
    let e = Proxy::create(&ctx, &ProxyConfig::new().cert(&cert("server-chain.pem"), &cert("server.key"))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.detail().contains("listen"), "{:?}", e);

    let proxy = Proxy::create(&ctx, &listener()).unwrap();
    let e = proxy.add_backend(&Backend::new("127.0.0.1")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{:?}", e);
    assert!(e.detail().contains("127.0.0.1"), "{:?}", e);
    let e = proxy.add_backend(&Backend::new("127.0.0.1:9").weight(0)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{:?}", e);
    let e = proxy.add_backend(&Backend::new("bad\0name")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(proxy.route(None, "/", "no-such-pool").is_err());
    let e = proxy.reload().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::State, "{:?}", e);
    assert!(!e.detail().is_empty());
    // Refused edits left the configuration as it was: one pool, no backend.
    let st = proxy.stats().unwrap();
    assert_eq!((st.pools, st.backends), (1, 0), "{:?}", st);
    assert!(proxy.backend_stats().unwrap().is_empty());
}

#[test]
fn config_files() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("proxy-test");
    std::fs::create_dir_all(&dir).unwrap();
    let good = format!(
        "listeners = ( {{ listen = \"127.0.0.1:0\";\n  certs = ( {{ cert = \"{}\"; key = \"{}\"; }} ); }} );\npools = ( {{ name = \"web\"; health = {{ interval_ms = 0; }};\n  backends = ( {{ address = \"127.0.0.1:9\"; protocol = \"http1\"; }} ); }} );\nroutes = ( {{ pool = \"web\"; }} );\n",
        cert("server-chain.pem"),
        cert("server.key")
    );
    let file = dir.join("wraith.cfg");
    let path = file.to_str().unwrap().to_string();
    std::fs::write(&file, &good).unwrap();
    proxy::check_config(&path).unwrap();

    let bad = dir.join("bad.cfg");
    std::fs::write(&bad, format!("{}bogus_key = 1;\n", good)).unwrap();
    let e = proxy::check_config(bad.to_str().unwrap()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{:?}", e);
    assert!(e.detail().contains(&format!("{}:6", bad.display())), "{:?}", e);

    let ctx = Context::new().unwrap();
    let proxy = Proxy::create(&ctx, &ProxyConfig::from_file(&path)).unwrap();
    let bs = proxy.backend_stats().unwrap();
    assert_eq!(bs.len(), 1);
    assert_eq!((bs[0].pool.as_str(), bs[0].protocol), ("web", BackendProtocol::Http1));
    proxy.reload().unwrap();
    std::fs::write(&file, format!("{}bogus_key = 1;\n", good)).unwrap();
    let e = proxy.reload().unwrap_err();
    assert!(e.detail().contains(&format!("{}:6", path)), "{:?}", e);
    let st = proxy.stats().unwrap();
    assert_eq!((st.reloads, st.reload_failures, st.backends), (1, 1, 1), "{:?}", st);
}
