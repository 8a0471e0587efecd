//! CNS/ZNS asynchronous queries and `dns::Client` against a real DoQ resolver: futures dropped
//! before their answer (their state reclaimed by the callback), a client reusing one connection
//! and reconnecting with 0-RTT, invalid names and a server that is not there.
mod common;
use common::{cert, dns_server, FlagWaker};
use std::future::Future;
use std::net::UdpSocket;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context as TaskContext, Waker};
use std::time::{Duration, Instant};
use zquic::dns::{self, Client, QueryType};
use zquic::{block_on, ConnectOptions, Context, ErrorKind};

fn ca() -> ConnectOptions {
    ConnectOptions::new().ca_file(&cert("ca.pem"))
}

/// Polls `fut` once with a fresh flag waker; returns the waker's Arc (the future's state holds a
/// clone of it while the future is pending).
fn poll_once<F: Future + Unpin>(fut: &mut F) -> (Arc<FlagWaker>, bool) {
    let flag = FlagWaker::new();
    let waker = Waker::from(flag.clone());
    let ready = Pin::new(fut).poll(&mut TaskContext::from_waker(&waker)).is_ready();
    (flag, ready)
}

/// Waits until only `flag` itself holds the waker: the completion callback ran and let go of the
/// clone the future's state kept (tests/dns_dropped.rs counts that the state itself is freed).
fn wait_reclaimed(flag: &Arc<FlagWaker>, what: &str) {
    let t0 = Instant::now();
    while Arc::strong_count(flag) > 1 {
        assert!(t0.elapsed() < Duration::from_secs(10), "{}: the callback never ran ({} refs)", what, Arc::strong_count(flag));
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn assert_send_sync<T: Send + Sync>() {}
fn assert_send<T: Send>() {}

#[test]
fn handles_are_send_and_sync() {
    assert_send_sync::<Client>();
    assert_send::<dns::QueryFuture>();
}

#[test]
fn futures_dropped_before_their_answer() {
    let sctx = Context::new().unwrap();
    let server = dns_server(&sctx, false);
    let addr = format!("localhost:{}", server.port().unwrap());
    let ctx = Context::new().unwrap();
    let conn = dns::connect(&ctx, &addr, ca()).unwrap();

    // Polled once (so its state holds our waker), then dropped: the answer still arrives, on
    // the loop thread, and the callback frees it and the state.
    let mut pending = 0;
    for i in 0..20 {
        let mut fut = dns::query_async(&conn, "www.example.org", QueryType::A);
        let (flag, ready) = poll_once(&mut fut);
        drop(fut);
        if !ready {
            pending += 1;
            wait_reclaimed(&flag, &format!("dropped future {}", i));
        }
    }
    assert!(pending > 0, "no future was still pending after its first poll");
    // Never polled at all, dropped at once.
    for _ in 0..20 {
        drop(dns::query_async(&conn, "www.example.org", QueryType::Aaaa));
    }
    // The connection's last owner dropped with the futures: the close ends what is in flight.
    let conn2 = dns::connect(&ctx, &addr, ca()).unwrap();
    let mut flags = Vec::new();
    for _ in 0..10 {
        let mut fut = dns::query_async(&conn2, "mail.example.org", QueryType::A);
        let (flag, ready) = poll_once(&mut fut);
        drop(fut);
        if !ready {
            flags.push(flag);
        }
    }
    drop(conn2);
    for f in &flags {
        wait_reclaimed(f, "future of a closed connection");
    }
    // Everything still works afterwards.
    let r = block_on(dns::query_async(&conn, "www.example.org", QueryType::A)).unwrap();
    assert_eq!(r.answer, "192.0.2.80");

    // A client's queries certainly in flight (a server that never answers), dropped together
    // with the client: zquic_dns_client_free ends them with ZQUIC_ERR_CLOSED later.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let client = Client::new(&ctx, &silent.local_addr().unwrap().to_string(), ca()).unwrap();
    let mut flags = Vec::new();
    for _ in 0..10 {
        let mut fut = client.query_async("www.example.org", QueryType::A);
        let (flag, ready) = poll_once(&mut fut);
        assert!(!ready, "a silent server cannot have answered");
        drop(fut);
        flags.push(flag);
    }
    // Still pending: the futures are gone but the client's queries wait for a handshake.
    std::thread::sleep(Duration::from_millis(100));
    assert!(flags.iter().all(|f| Arc::strong_count(f) == 2), "a query ended before its client was freed");
    drop(client);
    for f in &flags {
        wait_reclaimed(f, "future of a freed client");
        assert_eq!(f.wakes.load(Ordering::SeqCst), 1, "the callback wakes the stored waker once");
    }
}

#[test]
fn client_reuses_its_connection_and_resumes_with_0rtt() {
    let sctx = Context::new().unwrap();
    let server = dns_server(&sctx, true);
    let addr = format!("localhost:{}", server.port().unwrap());
    // A short idle timeout so that the test can see a reconnection.
    let ctx = Context::builder().idle_timeout(Duration::from_millis(400)).build().unwrap();
    let client = Client::new(&ctx, &addr, ca().enable_0rtt(true)).unwrap();
    assert_eq!(client.connects(), 0, "nothing is sent before the first query");

    for _ in 0..5 {
        let r = client.query("www.example.org", QueryType::A).unwrap();
        assert_eq!(r.answer, "192.0.2.80");
        let r = block_on(client.query_async("www.example.org", QueryType::Aaaa)).unwrap();
        assert_eq!(r.answer, "2001:db8::80");
    }
    let r = client.query_with("nope.example.org", QueryType::A, Some(Duration::from_secs(2))).unwrap();
    assert_eq!(r.rcode, dns::NXDOMAIN);
    let owner = block_on(client.query_async("www.bob.ghost", QueryType::Zns)).unwrap();
    assert_eq!(owner.answer.len(), 64, "{:?}", owner);
    // From other threads at once, through clones.
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let c = client.clone();
            std::thread::spawn(move || c.query("mail.example.org", QueryType::A).unwrap().answer)
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), "192.0.2.25");
    }
    assert_eq!(client.connects(), 1, "one connection for every query");
    assert_eq!(client.early_connects(), 0);

    // The connection idles out; the next query reconnects, resuming the session in 0-RTT.
    std::thread::sleep(Duration::from_millis(1200));
    let r = block_on(client.query_async("www.example.org", QueryType::A)).unwrap();
    assert_eq!(r.answer, "192.0.2.80");
    assert_eq!(client.connects(), 2);
    assert_eq!(client.early_connects(), 1, "the reconnection resumed with 0-RTT accepted");
    let r = client.query("www.example.org", QueryType::A).unwrap();
    assert_eq!(r.answer, "192.0.2.80");
    assert_eq!(client.connects(), 2);
    assert!(format!("{:?}", client).contains("connects: 2"));
}

#[test]
fn invalid_names_are_errors_with_code_and_detail() {
    let sctx = Context::new().unwrap();
    let server = dns_server(&sctx, false);
    let addr = format!("localhost:{}", server.port().unwrap());
    let ctx = Context::new().unwrap();
    let conn = dns::connect(&ctx, &addr, ca()).unwrap();
    let client = Client::new(&ctx, &addr, ca()).unwrap();
    let long = "a".repeat(300);
    let cases: Vec<(&str, QueryType, &str)> = vec![
        ("", QueryType::A, "empty"),
        (&long, QueryType::A, "longer than 253"),
        ("www.example.org", QueryType::Other(0), "out of range"),
        ("bad\0name", QueryType::A, "NUL"),
        ("a..example.org", QueryType::A, "not a domain name"),
    ];
    for (name, t, why) in cases.iter() {
        let mut results = vec![
            ("query_async", block_on(dns::query_async(&conn, name, *t))),
            ("Client::query_async", block_on(client.query_async(name, *t))),
            ("Client::query", client.query(name, *t)),
            ("query", dns::query(&conn, name, *t)),
        ];
        for (how, r) in results.drain(..) {
            let e = r.expect_err(&format!("{} of {:?} must fail", how, name));
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{} {:?}: {:?}", how, name, e);
            assert_eq!(e.code(), zquic::sys::ZQUIC_ERR_INVALID_ARGUMENT);
            assert!(e.detail().contains(why), "{} {:?}: detail {:?} lacks {:?}", how, name, e.detail(), why);
        }
        assert_eq!(client.connects(), 0, "{:?} is refused before anything is sent", name);
    }
    // Nothing broke: both answer the next query, the client on at most one connection.
    let r = block_on(dns::query_async(&conn, "www.example.org", QueryType::A)).unwrap();
    assert_eq!(r.answer, "192.0.2.80");
    let r = block_on(client.query_async("www.example.org", QueryType::A)).unwrap();
    assert_eq!(r.answer, "192.0.2.80");
    assert_eq!(client.connects(), 1);

    let e = Client::new(&ctx, "no-port", ca()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{:?}", e);
}

#[test]
fn a_server_that_is_not_there_fails_within_the_timeout() {
    let ctx = Context::new().unwrap();
    // Bound but silent: packets vanish.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    // Nobody at all on this port.
    let gone = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    for addr in [silent.local_addr().unwrap(), gone] {
        let client = Client::new(&ctx, &addr.to_string(), ca()).unwrap();
        let timeout = Duration::from_millis(600);
        let t0 = Instant::now();
        let e = block_on(client.query_async_with("www.example.org", QueryType::A, Some(timeout))).unwrap_err();
        let took = t0.elapsed();
        assert!(took < timeout + Duration::from_millis(1500), "{}: took {:?}: {:?}", addr, took, e);
        assert!(!e.detail().is_empty(), "{}: {:?}", addr, e);
        eprintln!("{} (async): {:?} after {} ms", addr, e, took.as_millis());

        let t0 = Instant::now();
        let e = client.query_with("www.example.org", QueryType::A, Some(timeout)).unwrap_err();
        let took = t0.elapsed();
        assert!(took < timeout + Duration::from_millis(1500), "{}: took {:?}: {:?}", addr, took, e);
        eprintln!("{} (blocking): {:?} after {} ms", addr, e, took.as_millis());
    }

    // A connection whose server went away: the query ends with an error, in time.
    let sctx = Context::new().unwrap();
    let server = dns_server(&sctx, false);
    let conn = dns::connect(&ctx, &format!("localhost:{}", server.port().unwrap()), ca()).unwrap();
    block_on(dns::query_async(&conn, "www.example.org", QueryType::A)).unwrap();
    drop(server);
    drop(sctx);
    let t0 = Instant::now();
    let r = block_on(dns::query_async_with(&conn, "www.example.org", QueryType::A, Some(Duration::from_millis(600))));
    let took = t0.elapsed();
    let e = r.expect_err("no server to answer");
    assert!(took < Duration::from_millis(2100), "took {:?}: {:?}", took, e);
    eprintln!("server gone: {:?} after {} us", e, took.as_micros());
}

#[test]
fn a_future_completes_on_another_thread() {
    // The future moves to another thread and completes there (Send), while this thread keeps
    // querying blocking on the same client.
    let sctx = Context::new().unwrap();
    let server = dns_server(&sctx, false);
    let ctx = Context::new().unwrap();
    let client = Client::new(&ctx, &format!("localhost:{}", server.port().unwrap()), ca()).unwrap();
    let fut = client.query_async("txt.example.org", QueryType::Txt);
    let t = std::thread::spawn(move || block_on(fut));
    let r = client.query("short.example.org", QueryType::A).unwrap();
    assert_eq!(r.answer, "192.0.2.60");
    assert_eq!(r.ttl, 60);
    let txt = t.join().unwrap().unwrap();
    assert_eq!(txt.rcode, dns::NOERROR);
    assert!(txt.answer.contains("hello world"), "{:?}", txt);
    assert_eq!(client.connects(), 1);
}
