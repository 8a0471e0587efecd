//! Wraith: the HTTP/3 reverse proxy (load balancing, health checks, HTTP/3 or HTTP/1.1
//! backends), configured from a libconfig file (docs/CONFIG.md, "Wraith") or built by calls.
//!
//! ```no_run
//! use zquic::proxy::{Backend, BackendProtocol, Lb, Proxy, ProxyConfig};
//! let ctx = zquic::Context::new()?;
//! let proxy = Proxy::create(&ctx, &ProxyConfig::new().listen("0.0.0.0:443")
//!     .cert("chain.pem", "key.pem").backend("10.0.0.1:443").lb(Lb::LeastConnections))?;
//! proxy.add_backend(&Backend::new("10.0.0.2:8080").protocol(BackendProtocol::Http1))?;
//! proxy.add_backend(&Backend::new("10.0.0.3:443").pool("api"))?;
//! proxy.route(Some("api.example.com"), "/", "api")?;
//! println!("{} requests", proxy.stats()?.requests);
//! # Ok::<(), zquic::Error>(())
//! ```
use std::os::raw::c_int;
use std::ptr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::context::{Context, ContextInner};
use crate::error::{check, Result};
use crate::util::{cstring, opt_cstring, opt_ptr, release, string_from_array, timeout_ms, SendPtr};
use zquic_sys as sys;

/// How a pool picks a backend for each request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lb {
    /// In turn (the default).
    RoundRobin,
    /// Fewest requests in flight, ties in turn.
    LeastConnections,
    /// Smooth weighted round robin ([`Backend::weight`]).
    Weighted,
    /// Consistent hashing of the client address.
    IpHash,
    /// Two random choices, the one with fewer requests in flight wins.
    Random,
}

impl Lb {
    fn code(self) -> c_int {
        match self {
            Lb::RoundRobin => sys::ZQUIC_LB_ROUND_ROBIN,
            Lb::LeastConnections => sys::ZQUIC_LB_LEAST_CONNECTIONS,
            Lb::Weighted => sys::ZQUIC_LB_WEIGHTED,
            Lb::IpHash => sys::ZQUIC_LB_IP_HASH,
            Lb::Random => sys::ZQUIC_LB_RANDOM,
        }
    }
}

/// What the proxy speaks to a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackendProtocol {
    /// HTTP/3 over QUIC (the default).
    H3,
    /// HTTP/1.1 over TCP.
    Http1,
}

impl BackendProtocol {
    fn code(self) -> c_int {
        match self {
            BackendProtocol::H3 => sys::ZQUIC_PROXY_BACKEND_H3,
            BackendProtocol::Http1 => sys::ZQUIC_PROXY_BACKEND_HTTP1,
        }
    }

    fn from_code(code: c_int) -> BackendProtocol {
        if code == sys::ZQUIC_PROXY_BACKEND_HTTP1 {
            BackendProtocol::Http1
        } else {
            BackendProtocol::H3
        }
    }
}

/// Settings of a [`Proxy`]: a configuration file, or one listener with a pool "default" that
/// every request is routed to.
///
/// ```no_run
/// # use zquic::proxy::ProxyConfig;
/// let from_file = ProxyConfig::from_file("/etc/zquic/wraith.cfg");
/// let built = ProxyConfig::new().listen("127.0.0.1:0").cert("chain.pem", "key.pem")
///     .backend("127.0.0.1:9001").backend_ca_file("ca.pem");
/// ```
#[derive(Debug, Clone, Default)]
pub struct ProxyConfig {
    config_file: Option<String>,
    listen: Option<String>,
    cert_file: Option<String>,
    key_file: Option<String>,
    backend: Option<String>,
    lb: Option<Lb>,
    health_interval: Option<Duration>,
    timeout: Option<Duration>,
    metrics_listen: Option<String>,
    access_log: Option<String>,
    backend_protocol: Option<BackendProtocol>,
    backend_ca_file: Option<String>,
}

impl ProxyConfig {
    /// Nothing set: give [`listen`](Self::listen) and [`cert`](Self::cert) (or use
    /// [`from_file`](Self::from_file)).
    pub fn new() -> ProxyConfig {
        ProxyConfig::default()
    }
    /// Everything from a libconfig file (listeners, pools, routes, limits), which
    /// [`Proxy::reload`] reads again. The other settings are then not used.
    pub fn from_file(path: &str) -> ProxyConfig {
        ProxyConfig { config_file: Some(path.to_string()), ..ProxyConfig::default() }
    }
    /// The UDP address of the listener: "0.0.0.0:443", "127.0.0.1:0" (any free port).
    pub fn listen(mut self, addr: &str) -> ProxyConfig {
        self.listen = Some(addr.to_string());
        self
    }
    /// PEM certificate chain and private key of the listener.
    pub fn cert(mut self, cert_file: &str, key_file: &str) -> ProxyConfig {
        self.cert_file = Some(cert_file.to_string());
        self.key_file = Some(key_file.to_string());
        self
    }
    /// A first backend ("host:port") of the pool "default"; without one, add backends later
    /// with [`Proxy::add_backend`].
    pub fn backend(mut self, addr: &str) -> ProxyConfig {
        self.backend = Some(addr.to_string());
        self
    }
    /// Balancing of the pool "default" (default round robin).
    pub fn lb(mut self, lb: Lb) -> ProxyConfig {
        self.lb = Some(lb);
        self
    }
    /// Active health checks (GET /) of the pool "default" this often (whole seconds, a fraction
    /// rounded up; zero = off, the default).
    pub fn health_interval(mut self, every: Duration) -> ProxyConfig {
        self.health_interval = Some(every);
        self
    }
    /// How long a backend of "default" may take to answer before the client gets 504 (default
    /// 30 s).
    pub fn timeout(mut self, t: Duration) -> ProxyConfig {
        self.timeout = Some(t);
        self
    }
    /// Serve Prometheus text over HTTP/1.1 here, e.g. "127.0.0.1:9100" (default off).
    pub fn metrics_listen(mut self, addr: &str) -> ProxyConfig {
        self.metrics_listen = Some(addr.to_string());
        self
    }
    /// Append one line per request to this file; "-" = stderr (default off).
    pub fn access_log(mut self, path: &str) -> ProxyConfig {
        self.access_log = Some(path.to_string());
        self
    }
    /// Protocol of the [`backend`](Self::backend) (default HTTP/3).
    pub fn backend_protocol(mut self, p: BackendProtocol) -> ProxyConfig {
        self.backend_protocol = Some(p);
        self
    }
    /// Trust anchors (PEM) for the [`backend`](Self::backend) over HTTP/3 (default the
    /// system's).
    pub fn backend_ca_file(mut self, path: &str) -> ProxyConfig {
        self.backend_ca_file = Some(path.to_string());
        self
    }
}

/// A backend to add to a pool of a running [`Proxy`].
#[derive(Debug, Clone)]
pub struct Backend {
    pool: Option<String>,
    address: String,
    protocol: BackendProtocol,
    weight: u32,
    sni: Option<String>,
    ca_file: Option<String>,
    insecure: bool,
}

impl Backend {
    /// A backend at `address` (`"host:port"`, `"[v6]:port"`) of the pool "default", HTTP/3,
    /// weight 1.
    pub fn new(address: &str) -> Backend {
        Backend {
            pool: None,
            address: address.to_string(),
            protocol: BackendProtocol::H3,
            weight: 1,
            sni: None,
            ca_file: None,
            insecure: false,
        }
    }
    /// The pool (1 to 127 bytes; default "default"). A new name makes a new pool with the
    /// defaults of a pool in a file (docs/CONFIG.md): round robin, and active health checks
    /// (GET / every 5 s, 200 expected), unlike the pool "default" of a [`ProxyConfig`] without
    /// a file, whose checks are off unless [`ProxyConfig::health_interval`] is set.
    pub fn pool(mut self, name: &str) -> Backend {
        self.pool = Some(name.to_string());
        self
    }
    /// The address, "host:port".
    pub fn address(mut self, address: &str) -> Backend {
        self.address = address.to_string();
        self
    }
    /// HTTP/3 (default) or HTTP/1.1.
    pub fn protocol(mut self, p: BackendProtocol) -> Backend {
        self.protocol = p;
        self
    }
    /// Weight 1..1000 for [`Lb::Weighted`] (default 1).
    pub fn weight(mut self, w: u32) -> Backend {
        self.weight = w;
        self
    }
    /// HTTP/3: the name to send and verify (default the host part of the address).
    pub fn sni(mut self, name: &str) -> Backend {
        self.sni = Some(name.to_string());
        self
    }
    /// HTTP/3: pinned trust anchors (PEM; default the system's).
    pub fn ca_file(mut self, path: &str) -> Backend {
        self.ca_file = Some(path.to_string());
        self
    }
    /// HTTP/3: no certificate verification, so anyone on the path can impersonate the
    /// backend. For tests only (the library logs a warning).
    pub fn insecure_skip_verify_dangerous(mut self) -> Backend {
        self.insecure = true;
        self
    }
}

/// The proxy's counters ([`Proxy::stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProxyStats {
    /// Requests received.
    pub requests: u64,
    /// `responses[1]..[5]`: answered 1xx..5xx, the proxy's own answers included; `[0]` unused.
    pub responses: [u64; 6],
    /// Answered 429.
    pub rate_limited: u64,
    /// Answered 413 or 431.
    pub too_large: u64,
    /// Answered 400.
    pub bad_requests: u64,
    /// Requests sent to another backend after a connect failure.
    pub retries: u64,
    /// Answered 504.
    pub upstream_timeouts: u64,
    /// Reloads applied.
    pub reloads: u64,
    /// Reloads refused.
    pub reload_failures: u64,
    /// Pools of the running configuration.
    pub pools: u32,
    /// Backends of all pools.
    pub backends: u32,
    /// Of those, the ones getting requests now.
    pub backends_healthy: u32,
    /// Requests at backends now.
    pub in_flight: u32,
}

/// Facts of one backend ([`Proxy::backend_stats`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendStats {
    /// Its pool.
    pub pool: String,
    /// "host:port" as configured.
    pub address: String,
    /// What the proxy speaks to it.
    pub protocol: BackendProtocol,
    /// It gets requests now.
    pub healthy: bool,
    /// Requests at it now.
    pub in_flight: u32,
    /// Open connections to it.
    pub open_connections: u32,
    /// Requests sent to it.
    pub requests: u64,
    /// Connect failures, resets and timeouts.
    pub errors: u64,
    /// 5xx answers it gave.
    pub responses_5xx: u64,
}

/// Reads and validates a proxy configuration file without starting anything (`zquic proxy
/// --check`). A bad file is an [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument)
/// or [`ErrorKind::Io`](crate::ErrorKind::Io) error whose detail is "FILE:LINE: what".
pub fn check_config(path: &str) -> Result<()> {
    let p = cstring(path)?;
    // SAFETY: a valid NUL-terminated path.
    check(unsafe { sys::zquic_proxy_config_check(p.as_ptr()) })
}

/// A running Wraith proxy: listeners bound, metrics listening, health checks running.
///
/// `Send + Sync`. The C calls may be made from any thread, but two edits of the running
/// configuration at once ([`add_backend`](Self::add_backend), [`route`](Self::route),
/// [`reload`](Self::reload)) could each miss the other's change (each copies the running
/// configuration, edits and swaps it in), so this wrapper serializes them with a lock of its
/// own; the read-only calls ([`stats`](Self::stats), [`port`](Self::port), ...) do not take it.
/// None of them may be called from inside a handler of the same context (they wait for its loop
/// thread).
///
/// The proxy keeps its [`Context`] alive and is destroyed before it: drop the two in any order.
pub struct Proxy {
    ptr: *mut sys::zquic_proxy,
    edit: Mutex<()>,
    ctx: Arc<ContextInner>,
}

// SAFETY: zquic_proxy_* may be called from any thread (zquic.h, "Wraith"); concurrent edits are
// serialized by `edit`; the handle is destroyed once, in Drop.
unsafe impl Send for Proxy {}
// SAFETY: as above: shared use runs the read-only calls concurrently, which the library does on
// its loop thread, and edits one at a time.
unsafe impl Sync for Proxy {}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy").field("ptr", &self.ptr).finish_non_exhaustive()
    }
}

impl Proxy {
    /// Creates and starts a proxy on `ctx`'s loop thread. A bad file gives an
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) (or `Io`) error with
    /// "FILE:LINE: what" as detail; without a file, `listen` and `cert` are required.
    pub fn create(ctx: &Context, cfg: &ProxyConfig) -> Result<Proxy> {
        let file = opt_cstring(cfg.config_file.as_deref())?;
        let listen = opt_cstring(cfg.listen.as_deref())?;
        let cert = opt_cstring(cfg.cert_file.as_deref())?;
        let key = opt_cstring(cfg.key_file.as_deref())?;
        let backend = opt_cstring(cfg.backend.as_deref())?;
        let metrics = opt_cstring(cfg.metrics_listen.as_deref())?;
        let log = opt_cstring(cfg.access_log.as_deref())?;
        let ca = opt_cstring(cfg.backend_ca_file.as_deref())?;
        let mut raw = std::mem::MaybeUninit::<sys::zquic_proxy_config>::uninit();
        // SAFETY: zquic_proxy_config_init fills every field.
        let mut raw = unsafe {
            sys::zquic_proxy_config_init(raw.as_mut_ptr());
            raw.assume_init()
        };
        raw.config_file = opt_ptr(&file);
        raw.listen = opt_ptr(&listen);
        raw.cert_file = opt_ptr(&cert);
        raw.key_file = opt_ptr(&key);
        raw.backend_address = opt_ptr(&backend);
        raw.metrics_listen = opt_ptr(&metrics);
        raw.access_log = opt_ptr(&log);
        raw.backend_ca_file = opt_ptr(&ca);
        if let Some(lb) = cfg.lb {
            raw.lb_mode = lb.code();
        }
        if let Some(every) = cfg.health_interval {
            // Whole seconds, a fraction rounded up; zero turns the checks off.
            let secs = every.as_secs() + (every.subsec_nanos() > 0) as u64;
            raw.health_check_interval_s = secs.min(u32::MAX as u64) as u32;
        }
        if let Some(t) = cfg.timeout {
            raw.timeout_ms = timeout_ms(Some(t)).max(1) as u32;
        }
        if let Some(p) = cfg.backend_protocol {
            raw.backend_protocol = p.code();
        }
        let mut out = ptr::null_mut();
        // SAFETY: live context; every string outlives the call (the library copies them).
        check(unsafe { sys::zquic_proxy_create(ctx.inner.ptr, &raw, &mut out) })?;
        Ok(Proxy { ptr: out, edit: Mutex::new(()), ctx: ctx.inner.clone() })
    }

    /// Adds a backend to a pool of the running configuration (requests in flight go on).
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) for a bad address,
    /// weight or pool name, `Limit` past 256 backends. A later [`reload`](Self::reload) of a
    /// file-based proxy replaces what was added.
    pub fn add_backend(&self, backend: &Backend) -> Result<()> {
        let pool = opt_cstring(backend.pool.as_deref())?;
        let address = cstring(&backend.address)?;
        let sni = opt_cstring(backend.sni.as_deref())?;
        let ca = opt_cstring(backend.ca_file.as_deref())?;
        let mut raw = std::mem::MaybeUninit::<sys::zquic_proxy_backend>::uninit();
        // SAFETY: zquic_proxy_backend_init fills every field.
        let mut raw = unsafe {
            sys::zquic_proxy_backend_init(raw.as_mut_ptr());
            raw.assume_init()
        };
        raw.pool = opt_ptr(&pool);
        raw.address = address.as_ptr();
        raw.protocol = backend.protocol.code();
        raw.weight = backend.weight;
        raw.sni = opt_ptr(&sni);
        raw.ca_file = opt_ptr(&ca);
        raw.insecure_skip_verify_DANGEROUS = backend.insecure as c_int;
        let _edit = self.edit.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: live proxy; the struct and its strings outlive the call (copied).
        check(unsafe { sys::zquic_proxy_add_backend(self.ptr, &raw) })
    }

    /// Sends requests for `host` (exact, "*.example.com" for any name below it, `None` or "*"
    /// for any) whose path starts with `path_prefix` to `pool`, which must exist. A route with
    /// the same host and prefix is replaced.
    pub fn route(&self, host: Option<&str>, path_prefix: &str, pool: &str) -> Result<()> {
        let host = opt_cstring(host)?;
        let prefix = cstring(path_prefix)?;
        let pool = cstring(pool)?;
        let _edit = self.edit.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: live proxy; valid strings (copied).
        check(unsafe { sys::zquic_proxy_route(self.ptr, opt_ptr(&host), prefix.as_ptr(), pool.as_ptr()) })
    }

    /// Reads the configuration file again and applies it without dropping requests in flight.
    /// A file that does not load is refused (error detail "FILE:LINE: what") and the old
    /// configuration keeps serving; [`ErrorKind::State`](crate::ErrorKind::State) for a proxy
    /// built without a file.
    pub fn reload(&self) -> Result<()> {
        let _edit = self.edit.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: live proxy.
        check(unsafe { sys::zquic_proxy_reload(self.ptr) })
    }

    /// The bound UDP port of listener `index` (0 = the first);
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) past the last.
    pub fn port(&self, index: usize) -> Result<u16> {
        // SAFETY: live proxy.
        let rc = unsafe { sys::zquic_proxy_port(self.ptr, index) };
        check(rc.min(0))?;
        Ok(rc as u16)
    }

    /// The TCP port of the metrics endpoint, `None` when it is off.
    pub fn metrics_port(&self) -> Option<u16> {
        // SAFETY: live proxy.
        let rc = unsafe { sys::zquic_proxy_metrics_port(self.ptr) };
        if rc > 0 {
            Some(rc as u16)
        } else {
            None
        }
    }

    /// The proxy's counters now.
    pub fn stats(&self) -> Result<ProxyStats> {
        let mut c = sys::zquic_proxy_counters {
            struct_size: std::mem::size_of::<sys::zquic_proxy_counters>(),
            ..Default::default()
        };
        // SAFETY: live proxy; `c` is writable and announces its size.
        check(unsafe { sys::zquic_proxy_stats(self.ptr, &mut c) })?;
        Ok(ProxyStats {
            requests: c.requests,
            responses: c.responses,
            rate_limited: c.rate_limited,
            too_large: c.too_large,
            bad_requests: c.bad_requests,
            retries: c.retries,
            upstream_timeouts: c.upstream_timeouts,
            reloads: c.reloads,
            reload_failures: c.reload_failures,
            pools: c.pools,
            backends: c.backends,
            backends_healthy: c.backends_healthy,
            in_flight: c.in_flight,
        })
    }

    /// Every backend of the running configuration, pool by pool in configuration order.
    pub fn backend_stats(&self) -> Result<Vec<BackendStats>> {
        let mut out = Vec::new();
        for index in 0.. {
            // SAFETY: all-zero is a valid value of this plain-data struct.
            let mut c: sys::zquic_proxy_backend_counters = unsafe { std::mem::zeroed() };
            c.struct_size = std::mem::size_of::<sys::zquic_proxy_backend_counters>();
            // SAFETY: live proxy; `c` is writable and announces its size.
            let rc = unsafe { sys::zquic_proxy_backend_stats(self.ptr, index, &mut c) };
            if rc == sys::ZQUIC_ERR_NOT_FOUND {
                break;
            }
            check(rc)?;
            out.push(BackendStats {
                pool: string_from_array(&c.pool),
                address: string_from_array(&c.address),
                protocol: BackendProtocol::from_code(c.protocol),
                healthy: c.healthy != 0,
                in_flight: c.in_flight,
                open_connections: c.open_connections,
                requests: c.requests,
                errors: c.errors,
                responses_5xx: c.responses_5xx,
            });
        }
        Ok(out)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let p = SendPtr(self.ptr);
        let ctx = self.ctx.clone();
        // zquic_proxy_destroy waits for the loop thread: never on it (release moves it off).
        release(move || {
            let p = p;
            // SAFETY: destroyed once, before its context (held by `ctx` until after the call).
            unsafe { sys::zquic_proxy_destroy(p.0) };
            drop(ctx);
        });
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Proxy>();
}
