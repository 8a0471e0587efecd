//! Asynchronous DNS queries spawn no thread: 50 `query_async` futures at once (on a connection,
//! then on a `dns::Client`) driven by a std-only executor on this one thread, the process's
//! thread count taken from /proc/self/task before and while they are all in flight. Alone in
//! its test binary so that no other test's threads come and go meanwhile.
mod common;
use common::{cert, dns_server, run_all, thread_count};
use std::time::Duration;
use zquic::dns::{self, QueryType, Response};
use zquic::{ConnectOptions, Context};

const N: usize = 50;

/// Question i of a batch: a mix of types and names, so each answer can be checked against its
/// own question.
fn question(i: usize) -> (&'static str, QueryType, &'static str, i32) {
    match i % 5 {
        0 => ("www.example.org", QueryType::A, "192.0.2.80", dns::NOERROR),
        1 => ("www.example.org", QueryType::Aaaa, "2001:db8::80", dns::NOERROR),
        2 => ("mail.example.org", QueryType::A, "192.0.2.25", dns::NOERROR),
        3 => ("ns1.example.org", QueryType::A, "192.0.2.53", dns::NOERROR),
        _ => ("nope.example.org", QueryType::A, "", dns::NXDOMAIN),
    }
}

fn check(results: Vec<zquic::Result<Response>>) {
    assert_eq!(results.len(), N);
    for (i, r) in results.into_iter().enumerate() {
        let (name, _, answer, rcode) = question(i);
        let r = r.unwrap_or_else(|e| panic!("query {} ({}): {}", i, name, e));
        assert_eq!(r.rcode, rcode, "query {} ({}): {:?}", i, name, r);
        assert_eq!(r.answer, answer, "query {} ({}): {:?}", i, name, r);
    }
}

#[test]
fn fifty_concurrent_async_queries_on_one_thread_spawn_no_thread() {
    let sctx = Context::new().unwrap();
    let server = dns_server(&sctx, false);
    let port = server.port().unwrap();
    let ctx = Context::new().unwrap();
    let conn = dns::connect(&ctx, &format!("localhost:{}", port), ConnectOptions::new().ca_file(&cert("ca.pem"))).unwrap();
    let client = dns::Client::new(&ctx, &format!("localhost:{}", port), ConnectOptions::new().ca_file(&cert("ca.pem"))).unwrap();
    // Warm up: the first query of each kind has made whatever threads the library keeps (the
    // client's connect resolves the name in libuv's pool, whose few threads start on first use).
    zquic::block_on(dns::query_async(&conn, "www.example.org", QueryType::A)).unwrap();
    zquic::block_on(client.query_async("www.example.org", QueryType::A)).unwrap();
    let before = thread_count();

    let futures: Vec<_> = (0..N)
        .map(|i| {
            let (name, t, _, _) = question(i);
            dns::query_async_with(&conn, name, t, Some(Duration::from_secs(10)))
        })
        .collect();
    let mut during = 0;
    let results = run_all(futures, Duration::from_secs(15), || during = thread_count());
    let after = thread_count();
    check(results);
    // A thread per query would make this before + 50.
    assert!(during <= before, "threads: {} before, {} with {} queries in flight", before, during, N);
    assert!(after <= before, "threads: {} before, {} after", before, after);

    // The same through the dns::Client.
    let futures: Vec<_> = (0..N)
        .map(|i| {
            let (name, t, _, _) = question(i);
            client.query_async_with(name, t, Some(Duration::from_secs(10)))
        })
        .collect();
    let mut during = 0;
    let results = run_all(futures, Duration::from_secs(15), || during = thread_count());
    check(results);
    assert!(during <= before, "threads: {} before, {} with {} client queries in flight", before, during, N);
    assert_eq!(client.connects(), 1, "all {} queries on one connection", N);
    assert!(server.queries().unwrap() >= 2 + 2 * N as u64);
}
