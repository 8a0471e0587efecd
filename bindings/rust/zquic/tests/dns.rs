//! CNS/ZNS: a DoQ resolver with the repository's example zone and signed ZNS registry, queried
//! blocking and async, including a .ghost name.
mod common;
use common::{cert, repo};
use std::time::Duration;
use zquic::dns::{self, QueryType};
use zquic::{block_on, ConnectOptions, Context};

#[test]
fn queries_against_a_doq_resolver() {
    let sctx = Context::new().unwrap();
    let zone = repo().join("tests/data/example.zone");
    let registry = repo().join("tests/data/zns-example.json");
    let server = dns::Server::serve(
        &sctx,
        &dns::ServerConfig::new()
            .listen("127.0.0.1:0")
            .cert_file(&cert("server-chain.pem"))
            .key_file(&cert("server.key"))
            .zone_file(zone.to_str().unwrap())
            .zns_registry(registry.to_str().unwrap()),
    )
    .unwrap();
    let port = server.port().unwrap();
    let ctx = Context::new().unwrap();
    let conn = dns::connect(&ctx, &format!("localhost:{}", port), ConnectOptions::new().ca_file(&cert("ca.pem"))).unwrap();
    assert_eq!(conn.alpn(), "doq");

    let r = dns::query(&conn, "www.example.org", QueryType::A).unwrap();
    assert_eq!(r.rcode, dns::NOERROR);
    assert_eq!(r.answer, "192.0.2.80");
    assert_eq!(r.records[0].rtype, 1);
    assert_eq!(r.records[0].rdata, vec![192, 0, 2, 80]);
    assert!(r.authoritative);

    let r = dns::query_with(&conn, "www.example.org", QueryType::Aaaa, Some(Duration::from_secs(3))).unwrap();
    assert_eq!(r.answer, "2001:db8::80");

    let r = dns::query(&conn, "nope.example.org", QueryType::A).unwrap();
    assert_eq!(r.rcode, dns::NXDOMAIN);
    assert!(r.records.is_empty());

    // A .ghost name from the signed registry, asynchronously.
    let r = block_on(dns::query_async(&conn, "www.bob.ghost", QueryType::A)).unwrap();
    assert_eq!(r.rcode, dns::NOERROR, "{:?}", r);
    assert!(!r.records.is_empty(), "{:?}", r);
    let owner = block_on(dns::query_async(&conn, "www.bob.ghost", QueryType::Zns)).unwrap();
    assert_eq!(owner.answer.len(), 64, "{:?}", owner);

    // Out of every zone: refused with an extended error.
    let r = dns::query(&conn, "example.com", QueryType::A).unwrap();
    assert_eq!(r.rcode, dns::REFUSED);
    assert!(r.extended_error.is_some());

    let e = dns::query(&conn, "bad\0name", QueryType::A).unwrap_err();
    assert_eq!(e.kind(), zquic::ErrorKind::InvalidArgument);
    assert!(server.queries().unwrap() >= 6);
    server.reload().unwrap();
}
