//! Futures of DNS queries dropped before their answer leak nothing on the Rust side: a counting
//! global allocator shows the live allocations back at their level of before once the library's
//! callbacks have run (each reclaims the query state whose reference C held, and frees the
//! response). Alone in its test binary, so that no other test allocates meanwhile.
mod common;
use common::{cert, dns_server};
use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::net::UdpSocket;
use std::pin::Pin;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::{Duration, Instant};
use zquic::dns::{self, Client, QueryType};
use zquic::{block_on, ConnectOptions, Context};

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged, counting live blocks.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = System.alloc(l);
        if !p.is_null() {
            LIVE.fetch_add(1, Ordering::SeqCst);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(1, Ordering::SeqCst);
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        System.realloc(p, l, n)
    }
}

#[global_allocator]
static A: Counting = Counting;

/// Waits (up to 10 s) for the live allocations to come back to `base` (+ `slack`).
fn settle(base: isize, slack: isize, what: &str) {
    let t0 = Instant::now();
    loop {
        let now = LIVE.load(Ordering::SeqCst);
        if now <= base + slack {
            return;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "{}: {} allocations live, {} before", what, now, base);
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn poll_once<F: Future + Unpin>(fut: &mut F, waker: &Waker) -> bool {
    matches!(Pin::new(fut).poll(&mut TaskContext::from_waker(waker)), Poll::Ready(_))
}

const N: usize = 100;
const SLACK: isize = 5; // N leaked states would be N allocations or more

#[test]
fn dropped_dns_futures_free_their_state() {
    let ca = ConnectOptions::new().ca_file(&cert("ca.pem"));
    let sctx = Context::new().unwrap();
    let server = dns_server(&sctx, false);
    let ctx = Context::new().unwrap();
    let conn = dns::connect(&ctx, &format!("localhost:{}", server.port().unwrap()), ca.clone()).unwrap();
    let waker = Waker::from(common::FlagWaker::new());
    // Warm up every path once, so that lazily made things are made.
    block_on(dns::query_async(&conn, "www.example.org", QueryType::A)).unwrap();
    let mut f = dns::query_async(&conn, "www.example.org", QueryType::A);
    poll_once(&mut f, &waker);
    drop(f);
    std::thread::sleep(Duration::from_millis(200));

    let base = LIVE.load(Ordering::SeqCst);
    let mut pending = 0;
    for i in 0..N {
        let mut f = dns::query_async(&conn, if i % 2 == 0 { "www.example.org" } else { "nope.example.org" }, QueryType::A);
        if i % 3 != 0 && !poll_once(&mut f, &waker) {
            pending += 1;
        }
        drop(f);
    }
    assert!(pending > 0, "no future was pending after its first poll");
    settle(base, SLACK, "futures dropped on a connection");
    let r = block_on(dns::query_async(&conn, "www.example.org", QueryType::A)).unwrap();
    assert_eq!(r.answer, "192.0.2.80");
    drop(r);

    // A client whose queries are certainly in flight (its server never answers), freed with
    // them: they end with ZQUIC_ERR_CLOSED after the free, on the loop thread.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    drop(Client::new(&ctx, &addr, ca.clone()).unwrap());
    std::thread::sleep(Duration::from_millis(100));
    let base = LIVE.load(Ordering::SeqCst);
    let client = Client::new(&ctx, &addr, ca).unwrap();
    for i in 0..N {
        let mut f = client.query_async("www.example.org", QueryType::A);
        if i % 2 == 0 {
            assert!(!poll_once(&mut f, &waker));
        }
        drop(f);
    }
    std::thread::sleep(Duration::from_millis(100));
    let live = LIVE.load(Ordering::SeqCst);
    assert!(live >= base + N as isize, "the in-flight queries hold their state: {} live, {} before", live, base);
    drop(client);
    settle(base, SLACK, "futures of a freed client");

    // Everything let go at once with queries in flight: the futures, their connection and its
    // context, whose zquic_destroy (here, in the last drop) ends the queries with their callbacks.
    let base = LIVE.load(Ordering::SeqCst);
    let ctx3 = Context::new().unwrap();
    let conn3 = dns::connect(&ctx3, &format!("localhost:{}", server.port().unwrap()), ConnectOptions::new().ca_file(&cert("ca.pem"))).unwrap();
    let futures: Vec<_> = (0..N).map(|_| dns::query_async(&conn3, "mail.example.org", QueryType::Aaaa)).collect();
    drop(conn3);
    drop(ctx3);
    drop(futures);
    settle(base, SLACK, "futures of a destroyed context");
}
