//! CNS/ZNS: DNS over QUIC (RFC 9250), client queries and a DoQ resolver.
//!
//! Two ways to ask: on a DoQ [`Connection`] of your own ([`connect`], then [`query`] or
//! [`query_async`]), or through a [`Client`], which keeps one connection to a server and makes it
//! again when it has closed (with 0-RTT if asked). The futures ([`query_async`],
//! [`Client::query_async`]) are built on the library's completion callback
//! (`zquic_dns_query_async`, `zquic_dns_client_query_async`): no thread is spawned or blocked per
//! query, many run at once on one connection, and the callback on the context's loop thread
//! wakes the future. They need nothing but a `Waker`, so any executor (or [`crate::block_on`])
//! drives them; dropping one before its answer is safe.
use std::future::Future;
use std::os::raw::{c_char, c_int, c_void};
use std::pin::Pin;
use std::ptr;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Duration;

use crate::connection::{ConnectOptions, Connection};
use crate::context::{Context, ContextInner};
use crate::error::{check, Error, Result};
use crate::util::{cstring, opt_cstring, opt_ptr, release, string_from, string_from_array, timeout_ms, LoopGuard, SendPtr};
use zquic_sys as sys;

/// What to ask for: a DNS RR type, or one of the two client-side kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueryType {
    /// IPv4 address.
    A,
    /// Name server.
    Ns,
    /// Canonical name.
    Cname,
    /// Start of authority.
    Soa,
    /// Mail exchanger.
    Mx,
    /// Text.
    Txt,
    /// IPv6 address.
    Aaaa,
    /// `.eth` names: the answer is the EIP-55 address (a TXT query on the wire).
    Ens,
    /// `.zns` / `.ghost` names: the answer is the owner key (a TXT query on the wire).
    Zns,
    /// Any other RR type by number.
    Other(u16),
}

impl QueryType {
    fn code(self) -> c_int {
        match self {
            QueryType::A => sys::ZQUIC_DNS_A,
            QueryType::Ns => sys::ZQUIC_DNS_NS,
            QueryType::Cname => sys::ZQUIC_DNS_CNAME,
            QueryType::Soa => sys::ZQUIC_DNS_SOA,
            QueryType::Mx => sys::ZQUIC_DNS_MX,
            QueryType::Txt => sys::ZQUIC_DNS_TXT,
            QueryType::Aaaa => sys::ZQUIC_DNS_AAAA,
            QueryType::Ens => sys::ZQUIC_DNS_ENS,
            QueryType::Zns => sys::ZQUIC_DNS_ZNS,
            QueryType::Other(n) => n as c_int,
        }
    }
}

/// DNS response code NOERROR.
pub const NOERROR: i32 = sys::ZQUIC_DNS_NOERROR;
/// DNS response code SERVFAIL.
pub const SERVFAIL: i32 = sys::ZQUIC_DNS_SERVFAIL;
/// DNS response code NXDOMAIN.
pub const NXDOMAIN: i32 = sys::ZQUIC_DNS_NXDOMAIN;
/// DNS response code REFUSED.
pub const REFUSED: i32 = sys::ZQUIC_DNS_REFUSED;

/// One resource record of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Owner name, "www.example.zns.".
    pub name: String,
    /// Wire RR type (1 = A, 28 = AAAA, ...).
    pub rtype: u16,
    /// Class (1 = IN).
    pub class: u16,
    /// Time to live, seconds.
    pub ttl: u32,
    /// The data as text: "192.0.2.1", "10 mail.example.", TXT strings concatenated.
    pub value: String,
    /// The data in wire form.
    pub rdata: Vec<u8>,
}

/// A query's outcome, whatever its response code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The first answer's value (for ENS/ZNS the address or owner); "" when none.
    pub answer: String,
    /// NOERROR, NXDOMAIN, ... (see the constants of this module).
    pub rcode: i32,
    /// TTL of the first answer record.
    pub ttl: u32,
    /// The answer section, in order.
    pub records: Vec<Record>,
    /// AA bit.
    pub authoritative: bool,
    /// TC bit.
    pub truncated: bool,
    /// RFC 8914 extended error (info-code, text), when the server gave one.
    pub extended_error: Option<(i32, String)>,
}

impl Response {
    /// Copies a library response and frees it.
    ///
    /// # Safety
    /// `resp` is a live response the caller owns.
    unsafe fn take(resp: *mut sys::zquic_dns_response) -> Response {
        let r = &*resp;
        let mut records = Vec::with_capacity(r.n_records);
        for i in 0..r.n_records {
            let rec = &*r.records.add(i);
            records.push(Record {
                name: string_from(rec.name),
                rtype: rec.type_,
                class: rec.rr_class,
                ttl: rec.ttl,
                value: string_from(rec.value),
                rdata: if rec.rdata.is_null() { Vec::new() } else { std::slice::from_raw_parts(rec.rdata, rec.rdata_len).to_vec() },
            });
        }
        let out = Response {
            answer: string_from_array(&r.answer),
            rcode: r.rcode,
            ttl: r.ttl,
            records,
            authoritative: r.authoritative != 0,
            truncated: r.truncated != 0,
            extended_error: if r.ede_code >= 0 { Some((r.ede_code, string_from_array(&r.ede_text))) } else { None },
        };
        sys::zquic_dns_response_free(resp);
        out
    }
}

/// Connects to a DoQ server (ALPN "doq").
pub fn connect(ctx: &Context, address: &str, opts: ConnectOptions) -> Result<Connection> {
    ctx.connect_with(address, &opts.alpn("doq"))
}

/// Asks `name` for `qtype` on a DoQ connection and waits (default timeout 5 s). `Ok` holds the
/// response whatever its rcode.
pub fn query(conn: &Connection, name: &str, qtype: QueryType) -> Result<Response> {
    query_with(conn, name, qtype, None)
}

/// As [`query`], with a timeout (None: the library's 5 s).
pub fn query_with(conn: &Connection, name: &str, qtype: QueryType, timeout: Option<Duration>) -> Result<Response> {
    let n = cstring(name)?;
    let opts = query_options(timeout);
    let mut out = ptr::null_mut();
    // SAFETY: live connection, valid name and options; *out is a response we own.
    check(unsafe { sys::zquic_dns_query_ex(conn.inner.ptr, n.as_ptr(), qtype.code(), &opts, &mut out) })?;
    // SAFETY: out is the live response the call gave us.
    Ok(unsafe { Response::take(out) })
}

/// The C query options: the library's defaults, and `timeout` when given.
fn query_options(timeout: Option<Duration>) -> sys::zquic_dns_query_options {
    let mut opts = std::mem::MaybeUninit::<sys::zquic_dns_query_options>::uninit();
    // SAFETY: zquic_dns_query_options_init fills every field.
    let mut opts = unsafe {
        sys::zquic_dns_query_options_init(opts.as_mut_ptr());
        opts.assume_init()
    };
    if let Some(t) = timeout {
        opts.timeout_ms = timeout_ms(Some(t)).max(1);
    }
    opts
}

/// Starts an asynchronous query on a DoQ connection and returns its future at once
/// (`zquic_dns_query_async`): no thread waits for it, the library's completion callback wakes
/// the future on the context's loop thread. The default timeout (5 s) bounds the whole query.
///
/// The future keeps the connection open. Dropping it before the answer is safe: the query runs
/// on, and its answer is freed when it arrives.
pub fn query_async(conn: &Connection, name: &str, qtype: QueryType) -> QueryFuture {
    query_async_with(conn, name, qtype, None)
}

/// As [`query_async`], with a timeout from this call on (None: the library's 5 s), which also
/// covers the time the query waits for a stream or for the handshake.
pub fn query_async_with(conn: &Connection, name: &str, qtype: QueryType, timeout: Option<Duration>) -> QueryFuture {
    let mut fut = start_async(name, qtype, timeout, |n, t, o, cb, user| {
        // SAFETY: live connection (we hold it); name and options are copied by the call.
        unsafe { sys::zquic_dns_query_async(conn.inner.ptr, n, t, o, cb, user) }
    });
    if fut.error.is_none() {
        fut._conn = Some(conn.clone());
    }
    fut
}

/// What the completion callback hands to the future.
#[derive(Default)]
struct QueryState {
    result: Option<Result<Response>>,
    waker: Option<Waker>,
}

/// Starts a query with `start` (one of the C start calls, given name, type, options, callback
/// and user pointer); an argument the library rejects is the future's result.
fn start_async<F>(name: &str, qtype: QueryType, timeout: Option<Duration>, start: F) -> QueryFuture
where
    F: FnOnce(*const c_char, c_int, *const sys::zquic_dns_query_options, sys::zquic_dns_callback, *mut c_void) -> c_int,
{
    let shared = Arc::new(Mutex::new(QueryState::default()));
    let run = || -> Result<()> {
        let n = cstring(name)?;
        let opts = query_options(timeout);
        let user = Arc::into_raw(shared.clone()) as *mut c_void;
        let rc = start(n.as_ptr(), qtype.code(), &opts, Some(on_query_done), user);
        if rc != sys::ZQUIC_OK {
            let e = Error::last(rc);
            // SAFETY: the start failed, so the callback never runs (zquic.h) and the strong
            // count handed over in `user` is still ours: taken back once, here.
            drop(unsafe { Arc::from_raw(user as *const Mutex<QueryState>) });
            return Err(e);
        }
        Ok(())
    };
    let error = run().err();
    QueryFuture { shared, error, _conn: None, _client: None }
}

/// The end of an asynchronous query, on the loop thread, exactly once per started query.
unsafe extern "C" fn on_query_done(result: c_int, resp: *mut sys::zquic_dns_response, user: *mut c_void) {
    let _guard = LoopGuard::enter();
    // SAFETY: `user` is the strong count start_async handed over; taken back exactly once here,
    // so the state lives on even when the future is gone.
    let shared = Arc::from_raw(user as *const Mutex<QueryState>);
    // Nothing may unwind into C.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let outcome = if result == sys::ZQUIC_OK && !resp.is_null() {
            // SAFETY: the callback owns `resp`; take() copies it and frees it, the one free.
            Ok(Response::take(resp))
        } else {
            let e = if result == sys::ZQUIC_OK {
                Error::new(sys::ZQUIC_ERR_INTERNAL, "DNS query completed without a response")
            } else {
                // zquic_last_error() tells why during the callback: read before any other call.
                Error::last(result)
            };
            if !resp.is_null() {
                // SAFETY: ours as above; an error carries no response, but free one if it did.
                sys::zquic_dns_response_free(resp);
            }
            Err(e)
        };
        let waker = {
            let mut st = shared.lock().unwrap_or_else(|e| e.into_inner());
            st.result = Some(outcome);
            st.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }));
    drop(shared);
}

/// Future of [`query_async`] and [`Client::query_async`]: the response whatever its rcode, or
/// the error that ended the query (timeout, connection closed, ...) with the library's detail
/// text. `Send`; it runs under any executor.
#[must_use = "futures do nothing unless polled"]
pub struct QueryFuture {
    shared: Arc<Mutex<QueryState>>,
    error: Option<Error>,
    // Keep the connection or client (and so the context) alive while the query runs.
    _conn: Option<Connection>,
    _client: Option<Client>,
}

impl std::fmt::Debug for QueryFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryFuture").finish_non_exhaustive()
    }
}

impl Future for QueryFuture {
    type Output = Result<Response>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        if let Some(e) = self.error.take() {
            return Poll::Ready(Err(e));
        }
        let mut st = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        match st.result.take() {
            Some(r) => Poll::Ready(r),
            None => {
                match &st.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => st.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

// ---- client ---------------------------------------------------------------------------------

struct ClientInner {
    ptr: *mut sys::zquic_dns_client,
    ctx: Arc<ContextInner>,
}

// SAFETY: zquic.h: a zquic_dns_client is "safe from any thread, concurrently" (the blocking
// query not on the loop thread, which the library refuses with ZQUIC_ERR_LOOP_THREAD rather
// than misbehaving); the handle is freed once, in Drop.
unsafe impl Send for ClientInner {}
// SAFETY: as above.
unsafe impl Sync for ClientInner {}

impl Drop for ClientInner {
    fn drop(&mut self) {
        let p = SendPtr(self.ptr);
        let ctx = self.ctx.clone();
        release(move || {
            let p = p;
            // SAFETY: freed once, before the context (held by ctx). Queries still in flight
            // (their futures are gone, or they would hold this) end with ZQUIC_ERR_CLOSED and
            // their callbacks reclaim their state later on the loop thread.
            unsafe { sys::zquic_dns_client_free(p.0) };
            drop(ctx);
        });
    }
}

/// A DoQ client for one server (`zquic_dns_client`): every query, blocking or async, goes on
/// one shared connection, made on first use and made again when it has closed (idle timeout,
/// server restart), so a query after a pause costs a handshake, not a failure. With
/// [`ConnectOptions::enable_0rtt`] a reconnection resumes the last session and sends its first
/// queries in 0-RTT.
///
/// Cheap to clone (shared); `Send + Sync` (the C client is safe from any thread, concurrently).
/// It keeps its context alive; the connection is closed when the last clone and the last
/// future of it are dropped.
///
/// ```no_run
/// use zquic::dns::{Client, QueryType};
/// let ctx = zquic::Context::new()?;
/// let client = Client::new(&ctx, "127.0.0.1:8853", zquic::ConnectOptions::new().ca_file("ca.pem"))?;
/// let a = client.query("www.bob.ghost", QueryType::A)?;
/// let owner = zquic::block_on(client.query_async("www.bob.ghost", QueryType::Zns))?.answer;
/// assert_eq!(client.connects(), 1);
/// # Ok::<(), zquic::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("ptr", &self.inner.ptr).field("connects", &self.connects()).finish()
    }
}

impl Client {
    /// A client of the DoQ server at `server` (`"host:port"`, `"[v6]:port"`), connecting with `opts`
    /// (CA file, SNI, handshake timeout, 0-RTT; its ALPN is always "doq"). Nothing is sent yet:
    /// the first query connects. An address without a port is `InvalidArgument`.
    pub fn new(ctx: &Context, server: &str, opts: ConnectOptions) -> Result<Client> {
        let server = cstring(server)?;
        let raw = opts.to_raw()?;
        let mut out = ptr::null_mut();
        // SAFETY: live context; the address and options are copied by the call; *out is a
        // client we own.
        check(unsafe { sys::zquic_dns_client_create(ctx.inner.ptr, server.as_ptr(), &raw.raw, &mut out) })?;
        Ok(Client { inner: Arc::new(ClientInner { ptr: out, ctx: ctx.inner.clone() }) })
    }

    /// Asks `name` for `qtype` and waits (default timeout 5 s, connecting first when needed).
    /// `Ok` holds the response whatever its rcode. Not on a loop thread (`LoopThread`).
    pub fn query(&self, name: &str, qtype: QueryType) -> Result<Response> {
        self.query_with(name, qtype, None)
    }

    /// As [`query`](Self::query), with a timeout (None: the library's 5 s).
    pub fn query_with(&self, name: &str, qtype: QueryType, timeout: Option<Duration>) -> Result<Response> {
        let n = cstring(name)?;
        let opts = query_options(timeout);
        let mut out = ptr::null_mut();
        // SAFETY: live client, valid name and options; *out is a response we own.
        check(unsafe { sys::zquic_dns_client_query(self.inner.ptr, n.as_ptr(), qtype.code(), &opts, &mut out) })?;
        // SAFETY: out is the live response the call gave us.
        Ok(unsafe { Response::take(out) })
    }

    /// Starts a query and returns its future at once (`zquic_dns_client_query_async`): no
    /// thread waits, a reconnection is started on the loop thread and the query waits in line
    /// for its handshake. The future keeps the client alive; dropping it early is safe.
    pub fn query_async(&self, name: &str, qtype: QueryType) -> QueryFuture {
        self.query_async_with(name, qtype, None)
    }

    /// As [`query_async`](Self::query_async), with a timeout from this call on (None: the
    /// library's 5 s), the handshake of a reconnection included.
    pub fn query_async_with(&self, name: &str, qtype: QueryType, timeout: Option<Duration>) -> QueryFuture {
        let ptr = self.inner.ptr;
        let mut fut = start_async(name, qtype, timeout, |n, t, o, cb, user| {
            // SAFETY: live client (we hold it); name and options are copied by the call.
            unsafe { sys::zquic_dns_client_query_async(ptr, n, t, o, cb, user) }
        });
        if fut.error.is_none() {
            fut._client = Some(self.clone());
        }
        fut
    }

    /// Connections made so far (1 while the first one lasts).
    pub fn connects(&self) -> u32 {
        // SAFETY: live client.
        unsafe { sys::zquic_dns_client_connects(self.inner.ptr) }
    }

    /// How many of those connections resumed a session with 0-RTT accepted by the server.
    pub fn early_connects(&self) -> u32 {
        // SAFETY: live client.
        unsafe { sys::zquic_dns_client_early_connects(self.inner.ptr) }
    }
}

/// Settings of a DoQ resolver [`Server`].
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    listen: Option<String>,
    cert_file: Option<String>,
    key_file: Option<String>,
    zone_files: Vec<String>,
    zns_registry: Option<String>,
    enable_0rtt: bool,
}

impl ServerConfig {
    /// Defaults: the context's address, certificate and key; no zones.
    pub fn new() -> ServerConfig {
        ServerConfig::default()
    }
    /// Where to listen, "127.0.0.1:853" (port 0: any free port).
    pub fn listen(mut self, addr: &str) -> ServerConfig {
        self.listen = Some(addr.to_string());
        self
    }
    /// PEM certificate chain.
    pub fn cert_file(mut self, path: &str) -> ServerConfig {
        self.cert_file = Some(path.to_string());
        self
    }
    /// PEM private key.
    pub fn key_file(mut self, path: &str) -> ServerConfig {
        self.key_file = Some(path.to_string());
        self
    }
    /// Adds an RFC 1035 master file.
    pub fn zone_file(mut self, path: &str) -> ServerConfig {
        self.zone_files.push(path.to_string());
        self
    }
    /// Accept queries in 0-RTT (resumed sessions of a [`Client`] with
    /// [`ConnectOptions::enable_0rtt`]); only QUERY messages, others are REFUSED. Default off.
    pub fn enable_0rtt(mut self, on: bool) -> ServerConfig {
        self.enable_0rtt = on;
        self
    }
    /// The signed ZNS registry (.zns and .ghost names).
    pub fn zns_registry(mut self, path: &str) -> ServerConfig {
        self.zns_registry = Some(path.to_string());
        self
    }
}

/// A DoQ resolver: cache, local zones, ZNS registry; REFUSED for the rest.
pub struct Server {
    ptr: *mut sys::zquic_dns_server,
    ctx: Arc<ContextInner>,
}

// SAFETY: zquic DNS server functions are thread-safe; the handle is freed once, in Drop.
unsafe impl Send for Server {}
// SAFETY: as above.
unsafe impl Sync for Server {}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").finish_non_exhaustive()
    }
}

impl Server {
    /// Loads the zones and the registry, binds and serves.
    pub fn serve(ctx: &Context, cfg: &ServerConfig) -> Result<Server> {
        let listen = opt_cstring(cfg.listen.as_deref())?;
        let cert = opt_cstring(cfg.cert_file.as_deref())?;
        let key = opt_cstring(cfg.key_file.as_deref())?;
        let registry = opt_cstring(cfg.zns_registry.as_deref())?;
        let zones = cfg.zone_files.iter().map(|z| cstring(z)).collect::<Result<Vec<_>>>()?;
        let zone_ptrs: Vec<*const c_char> = zones.iter().map(|z| z.as_ptr()).collect();
        let mut raw = std::mem::MaybeUninit::<sys::zquic_dns_config>::uninit();
        // SAFETY: zquic_dns_config_init fills every field.
        let mut raw = unsafe {
            sys::zquic_dns_config_init(raw.as_mut_ptr());
            raw.assume_init()
        };
        raw.listen = opt_ptr(&listen);
        raw.cert_file = opt_ptr(&cert);
        raw.key_file = opt_ptr(&key);
        raw.zns_registry = opt_ptr(&registry);
        raw.zone_files = if zone_ptrs.is_empty() { ptr::null() } else { zone_ptrs.as_ptr() };
        raw.n_zone_files = zone_ptrs.len();
        raw.enable_0rtt = cfg.enable_0rtt as c_int;
        let mut out = ptr::null_mut();
        // SAFETY: live context; every string outlives the call.
        check(unsafe { sys::zquic_dns_serve(ctx.inner.ptr, &raw, &mut out) })?;
        Ok(Server { ptr: out, ctx: ctx.inner.clone() })
    }

    /// The bound UDP port.
    pub fn port(&self) -> Result<u16> {
        // SAFETY: live server.
        let rc = unsafe { sys::zquic_dns_server_port(self.ptr) };
        check(rc.min(0))?;
        Ok(rc as u16)
    }

    /// Reads the zones and the registry again; on error the old ones keep serving.
    pub fn reload(&self) -> Result<()> {
        // SAFETY: live server.
        check(unsafe { sys::zquic_dns_server_reload(self.ptr) })
    }

    /// Queries answered so far.
    pub fn queries(&self) -> Result<u64> {
        let mut st = sys::zquic_dns_stats { struct_size: std::mem::size_of::<sys::zquic_dns_stats>(), ..Default::default() };
        // SAFETY: live server; st is writable and announces its size.
        check(unsafe { sys::zquic_dns_server_stats(self.ptr, &mut st) })?;
        Ok(st.queries)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let p = SendPtr(self.ptr);
        let ctx = self.ctx.clone();
        release(move || {
            let p = p;
            // SAFETY: freed once, before the context (held by ctx).
            unsafe { sys::zquic_dns_server_free(p.0) };
            drop(ctx);
        });
    }
}

