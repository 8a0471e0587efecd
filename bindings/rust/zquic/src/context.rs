//! Contexts (one event-loop thread each), their configuration, and QUIC servers.
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::Arc;
use std::time::Duration;

use crate::connection::{Connecting, Connection, ConnectOptions};
use crate::error::{check, Result};
use crate::util::{opt_cstring, opt_ptr, release, timeout_ms, SendPtr};
use zquic_sys as sys;

/// Settings of a [`Context`]: defaults for its servers and connections.
///
/// Every setter takes and returns the builder; [`Config::build`] starts the context.
///
/// ```no_run
/// let ctx = zquic::Config::new().ca_file("ca.pem").alpn("h3").build()?;
/// # Ok::<(), zquic::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Config {
    port: Option<u16>,
    max_connections: Option<u32>,
    connection_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    keep_alive: Option<Duration>,
    enable_ipv6: Option<bool>,
    cert_file: Option<String>,
    key_file: Option<String>,
    ca_file: Option<String>,
    alpn: Option<String>,
    bind_address: Option<String>,
    max_streams_bidi: Option<u32>,
    max_streams_uni: Option<u32>,
    insecure: bool,
}

impl Config {
    /// The library's defaults.
    pub fn new() -> Config {
        Config::default()
    }
    /// Server port used by servers that name no address of their own.
    pub fn port(mut self, port: u16) -> Config {
        self.port = Some(port);
        self
    }
    /// Connections per server (default 10000).
    pub fn max_connections(mut self, n: u32) -> Config {
        self.max_connections = Some(n);
        self
    }
    /// Handshake deadline of connects (default 10 s).
    pub fn connection_timeout(mut self, t: Duration) -> Config {
        self.connection_timeout = Some(t);
        self
    }
    /// Idle timeout of connections (default 30 s).
    pub fn idle_timeout(mut self, t: Duration) -> Config {
        self.idle_timeout = Some(t);
        self
    }
    /// Send PINGs after this much quiet (default off).
    pub fn keep_alive(mut self, t: Duration) -> Config {
        self.keep_alive = Some(t);
        self
    }
    /// Default server bind `[::]` (dual-stack) instead of 0.0.0.0.
    pub fn enable_ipv6(mut self, on: bool) -> Config {
        self.enable_ipv6 = Some(on);
        self
    }
    /// PEM certificate chain for servers.
    pub fn cert_file(mut self, path: &str) -> Config {
        self.cert_file = Some(path.to_string());
        self
    }
    /// PEM private key for servers.
    pub fn key_file(mut self, path: &str) -> Config {
        self.key_file = Some(path.to_string());
        self
    }
    /// PEM trust anchors for clients (default: the system CAs).
    pub fn ca_file(mut self, path: &str) -> Config {
        self.ca_file = Some(path.to_string());
        self
    }
    /// ALPN comma list, e.g. "h3" (the default) or "doq".
    pub fn alpn(mut self, alpn: &str) -> Config {
        self.alpn = Some(alpn.to_string());
        self
    }
    /// Default server bind address.
    pub fn bind_address(mut self, addr: &str) -> Config {
        self.bind_address = Some(addr.to_string());
        self
    }
    /// Peer-initiated bidirectional streams allowed at once (default 100).
    pub fn max_streams_bidi(mut self, n: u32) -> Config {
        self.max_streams_bidi = Some(n);
        self
    }
    /// Peer-initiated unidirectional streams allowed at once (default 100).
    pub fn max_streams_uni(mut self, n: u32) -> Config {
        self.max_streams_uni = Some(n);
        self
    }
    /// Turns off certificate verification of servers: anyone on the path can then impersonate
    /// them. For tests only.
    pub fn insecure_skip_verify_dangerous(mut self) -> Config {
        self.insecure = true;
        self
    }

    /// Creates the context and starts its loop thread.
    pub fn build(self) -> Result<Context> {
        let cert = opt_cstring(self.cert_file.as_deref())?;
        let key = opt_cstring(self.key_file.as_deref())?;
        let ca = opt_cstring(self.ca_file.as_deref())?;
        let alpn = opt_cstring(self.alpn.as_deref())?;
        let bind = opt_cstring(self.bind_address.as_deref())?;
        let mut cfg = MaybeUninit::<sys::zquic_config>::uninit();
        // SAFETY: zquic_config_init fills every field of the struct it is given.
        let mut cfg = unsafe {
            sys::zquic_config_init(cfg.as_mut_ptr());
            cfg.assume_init()
        };
        if let Some(v) = self.port {
            cfg.port = v;
        }
        if let Some(v) = self.max_connections {
            cfg.max_connections = v;
        }
        if let Some(v) = self.connection_timeout {
            cfg.connection_timeout_ms = timeout_ms(Some(v)).max(1) as u32;
        }
        if let Some(v) = self.idle_timeout {
            cfg.idle_timeout_ms = timeout_ms(Some(v)) as u32;
        }
        if let Some(v) = self.keep_alive {
            cfg.keep_alive_ms = timeout_ms(Some(v)) as u32;
        }
        if let Some(v) = self.enable_ipv6 {
            cfg.enable_ipv6 = v as i32;
        }
        if let Some(v) = self.max_streams_bidi {
            cfg.max_streams_bidi = v;
        }
        if let Some(v) = self.max_streams_uni {
            cfg.max_streams_uni = v;
        }
        if cert.is_some() {
            cfg.cert_file = opt_ptr(&cert);
        }
        if key.is_some() {
            cfg.key_file = opt_ptr(&key);
        }
        if ca.is_some() {
            cfg.ca_file = opt_ptr(&ca);
        }
        if alpn.is_some() {
            cfg.alpn = opt_ptr(&alpn);
        }
        if bind.is_some() {
            cfg.bind_address = opt_ptr(&bind);
        }
        cfg.insecure_skip_verify_DANGEROUS = self.insecure as i32;
        let mut out = ptr::null_mut();
        // SAFETY: cfg is initialised and its strings outlive the call (zquic_init copies them).
        check(unsafe { sys::zquic_init(&cfg, &mut out) })?;
        Ok(Context { inner: Arc::new(ContextInner { ptr: out }) })
    }
}

pub(crate) struct ContextInner {
    pub(crate) ptr: *mut sys::zquic_context,
}

// SAFETY: every zquic function is thread-safe (zquic.h); the context pointer is only passed to
// them, and it is destroyed once, by the last owner.
unsafe impl Send for ContextInner {}
// SAFETY: as above: shared use from many threads is what the C API is built for.
unsafe impl Sync for ContextInner {}

impl Drop for ContextInner {
    fn drop(&mut self) {
        let p = SendPtr(self.ptr);
        // zquic_destroy joins the loop thread, so never on it (release moves it off).
        release(move || {
            let p = p;
            // SAFETY: the last owner frees the context once; every handle made from it holds an
            // Arc to this, so none is left to use it afterwards.
            unsafe { sys::zquic_destroy(p.0) }
        });
    }
}

/// A zquic context: one event-loop thread and the defaults of its servers and connections.
///
/// Cheap to clone (shared). Every handle made from a context keeps it alive, so the loop thread
/// stops when the last context, server, connection, stream or call is dropped.
#[derive(Clone)]
pub struct Context {
    pub(crate) inner: Arc<ContextInner>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("ptr", &self.inner.ptr).finish()
    }
}

impl Context {
    /// A context with the library's defaults (system CAs, ALPN "h3").
    pub fn new() -> Result<Context> {
        Config::new().build()
    }

    /// A builder of settings.
    pub fn builder() -> Config {
        Config::new()
    }

    /// Connects to `address` ("host:port", `"[v6]:port"`) with the context's defaults, blocking
    /// until the handshake is done and the certificate verified.
    pub fn connect(&self, address: &str) -> Result<Connection> {
        self.connect_with(address, &ConnectOptions::new())
    }

    /// As [`connect`](Self::connect), with options.
    pub fn connect_with(&self, address: &str, opts: &ConnectOptions) -> Result<Connection> {
        Connection::connect(self, address, opts)
    }

    /// Starts connecting without blocking; the future completes when the handshake is done or
    /// failed (`zquic_connect_async` plus the connection's event callback).
    pub fn connect_async(&self, address: &str, opts: &ConnectOptions) -> Connecting {
        Connection::connect_async(self, address, opts)
    }

    /// Binds a QUIC server (raw streams; see [`crate::grpc::Server`] for GhostBridge).
    pub fn listen(&self, cfg: &ServerConfig) -> Result<Server> {
        Server::bind(self, cfg)
    }
}

/// Settings of a QUIC [`Server`].
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    pub(crate) listen: Option<String>,
    pub(crate) cert_file: Option<String>,
    pub(crate) key_file: Option<String>,
    pub(crate) alpn: Option<String>,
    pub(crate) retry: bool,
    pub(crate) workers: u32,
}

impl ServerConfig {
    /// Defaults: the context's address, certificate, key and ALPN.
    pub fn new() -> ServerConfig {
        ServerConfig::default()
    }
    /// Where to listen: "127.0.0.1:4433", `"[::1]:0"` (port 0: any free port).
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
    /// ALPN comma list in order of preference.
    pub fn alpn(mut self, alpn: &str) -> ServerConfig {
        self.alpn = Some(alpn.to_string());
        self
    }
    /// Validate every client address with a Retry round trip first.
    pub fn retry(mut self, on: bool) -> ServerConfig {
        self.retry = on;
        self
    }
    /// Loop threads serving the port (SO_REUSEPORT); 0 or 1: the context's loop only.
    pub fn workers(mut self, n: u32) -> ServerConfig {
        self.workers = n;
        self
    }

    /// Creates the server, with `h3` as its HTTP/3 handler when given.
    pub(crate) fn create(
        &self,
        ctx: &Context,
        h3: *const sys::zquic_h3_handler_config,
    ) -> Result<*mut sys::zquic_server> {
        let listen = opt_cstring(self.listen.as_deref())?;
        let cert = opt_cstring(self.cert_file.as_deref())?;
        let key = opt_cstring(self.key_file.as_deref())?;
        let alpn = opt_cstring(self.alpn.as_deref())?;
        let mut cfg = MaybeUninit::<sys::zquic_server_config>::uninit();
        // SAFETY: zquic_server_config_init fills every field.
        let mut cfg = unsafe {
            sys::zquic_server_config_init(cfg.as_mut_ptr());
            cfg.assume_init()
        };
        cfg.listen = opt_ptr(&listen);
        cfg.cert_file = opt_ptr(&cert);
        cfg.key_file = opt_ptr(&key);
        cfg.alpn = opt_ptr(&alpn);
        cfg.retry = self.retry as i32;
        cfg.workers = self.workers;
        cfg.h3 = h3;
        let mut out = ptr::null_mut();
        // SAFETY: the context is alive (we hold it), cfg and its strings outlive the call (they
        // are copied), and `h3` is NULL or a handler config that outlives the server.
        check(unsafe { sys::zquic_create_server(ctx.inner.ptr, &cfg, &mut out) })?;
        Ok(out)
    }
}

/// A QUIC server accepting connections for raw streams.
pub struct Server {
    ptr: *mut sys::zquic_server,
    ctx: Context,
}

// SAFETY: zquic server functions are thread-safe; the handle is freed once, in Drop.
unsafe impl Send for Server {}
// SAFETY: as above.
unsafe impl Sync for Server {}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").finish_non_exhaustive()
    }
}

impl Server {
    fn bind(ctx: &Context, cfg: &ServerConfig) -> Result<Server> {
        let ptr = cfg.create(ctx, ptr::null())?;
        Ok(Server { ptr, ctx: ctx.clone() })
    }

    /// The bound UDP port (useful after binding port 0).
    pub fn port(&self) -> Result<u16> {
        // SAFETY: self.ptr is a live server.
        let rc = unsafe { sys::zquic_server_port(self.ptr) };
        check(rc.min(0))?;
        Ok(rc as u16)
    }

    /// Waits for the next handshaken connection; `None` waits forever. A timeout is an
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) error.
    pub fn accept(&self, timeout: Option<Duration>) -> Result<Connection> {
        let mut out = ptr::null_mut();
        // SAFETY: self.ptr is a live server; *out receives a connection we then own.
        check(unsafe { sys::zquic_server_accept(self.ptr, timeout_ms(timeout), &mut out) })?;
        Ok(Connection::from_raw(&self.ctx, out))
    }

    /// Open connections right now.
    pub fn connection_count(&self) -> Result<usize> {
        // SAFETY: self.ptr is a live server.
        let rc = unsafe { sys::zquic_server_connection_count(self.ptr) };
        check(rc.min(0))?;
        Ok(rc as usize)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let p = SendPtr(self.ptr);
        let ctx = self.ctx.clone();
        release(move || {
            let p = p;
            // SAFETY: freed once; the context (held by `ctx`) outlives the call.
            unsafe { sys::zquic_server_free(p.0) };
            drop(ctx);
        });
    }
}

/// The library's version line: "zquic 0.1.0 (ngtcp2 1.11.0, nghttp3 1.8.0, GnuTLS 3.7.9)".
pub fn version() -> String {
    // SAFETY: zquic_version returns a static NUL-terminated string.
    unsafe { crate::util::string_from(sys::zquic_version()) }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Context>();
    is::<Server>();
}
