//! CNS/ZNS: DNS over QUIC (RFC 9250), client queries and a DoQ resolver.
//!
//! The C API has no completion callback for DNS queries, so [`query_async`] runs the blocking
//! query on a helper thread (one per query) and wakes the future from there.
use std::future::Future;
use std::os::raw::{c_char, c_int};
use std::pin::Pin;
use std::ptr;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Duration;

use crate::connection::{ConnectOptions, Connection};
use crate::context::{Context, ContextInner};
use crate::error::{check, Result};
use crate::util::{cstring, opt_cstring, opt_ptr, release, string_from, string_from_array, timeout_ms, SendPtr};
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

/// As [`query`], with a timeout.
pub fn query_with(conn: &Connection, name: &str, qtype: QueryType, timeout: Option<Duration>) -> Result<Response> {
    let n = cstring(name)?;
    let mut opts = std::mem::MaybeUninit::<sys::zquic_dns_query_options>::uninit();
    // SAFETY: zquic_dns_query_options_init fills every field.
    let mut opts = unsafe {
        sys::zquic_dns_query_options_init(opts.as_mut_ptr());
        opts.assume_init()
    };
    if let Some(t) = timeout {
        opts.timeout_ms = timeout_ms(Some(t)).max(1);
    }
    let mut out = ptr::null_mut();
    // SAFETY: live connection, valid name and options; *out is a response we own.
    check(unsafe { sys::zquic_dns_query_ex(conn.inner.ptr, n.as_ptr(), qtype.code(), &opts, &mut out) })?;
    // SAFETY: out is the live response the call gave us.
    Ok(unsafe { Response::take(out) })
}

/// A future of a query. zquic has no asynchronous DNS call, so the query runs on a helper
/// thread that wakes the future when the answer is in.
pub fn query_async(conn: &Connection, name: &str, qtype: QueryType) -> QueryFuture {
    let shared: Arc<Mutex<(Option<Result<Response>>, Option<Waker>)>> = Arc::new(Mutex::new((None, None)));
    let (conn, name, s) = (conn.clone(), name.to_string(), shared.clone());
    std::thread::spawn(move || {
        let result = query(&conn, &name, qtype);
        let waker = {
            let mut st = s.lock().unwrap_or_else(|e| e.into_inner());
            st.0 = Some(result);
            st.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    });
    QueryFuture { shared }
}

/// Future of [`query_async`].
#[must_use = "futures do nothing unless polled"]
pub struct QueryFuture {
    shared: Arc<Mutex<(Option<Result<Response>>, Option<Waker>)>>,
}

impl std::fmt::Debug for QueryFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryFuture").finish_non_exhaustive()
    }
}

impl Future for QueryFuture {
    type Output = Result<Response>;
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let mut st = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        match st.0.take() {
            Some(r) => Poll::Ready(r),
            None => {
                st.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
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

