//! GhostBridge: gRPC over HTTP/3 (gRFC G2 wire rules). Messages are opaque bytes: encode them
//! with any protobuf library (or by hand).
//!
//! ```no_run
//! use zquic::{grpc, ConnectOptions, Context};
//! let ctx = Context::new()?;
//! let client = grpc::Client::connect(&ctx, "127.0.0.1:50051", ConnectOptions::new().ca_file("ca.pem"))?;
//! let resp = client.call("/walletd.WalletService/GetBalance", b"\x0a\x05alice", &grpc::CallOptions::new())?;
//! println!("{}: {} bytes", resp.status, resp.data.len());
//! # Ok::<(), zquic::Error>(())
//! ```
use std::ffi::CString;
use std::fmt;
use std::future::Future;
use std::os::raw::{c_char, c_int, c_void};
use std::pin::Pin;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Duration;

use crate::connection::{ConnectOptions, Connection};
use crate::context::{Context, ContextInner, ServerConfig};
use crate::error::{check, Error, Result};
use crate::util::{cstring, opt_ptr, release, string_from, string_from_array, timeout_ms, LoopGuard, SendPtr};
use zquic_sys as sys;

/// A gRPC status code (the protocol's numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Status(pub i32);

impl Status {
    /// OK.
    pub const OK: Status = Status(0);
    /// CANCELLED.
    pub const CANCELLED: Status = Status(1);
    /// UNKNOWN.
    pub const UNKNOWN: Status = Status(2);
    /// INVALID_ARGUMENT.
    pub const INVALID_ARGUMENT: Status = Status(3);
    /// DEADLINE_EXCEEDED.
    pub const DEADLINE_EXCEEDED: Status = Status(4);
    /// NOT_FOUND.
    pub const NOT_FOUND: Status = Status(5);
    /// PERMISSION_DENIED.
    pub const PERMISSION_DENIED: Status = Status(7);
    /// RESOURCE_EXHAUSTED.
    pub const RESOURCE_EXHAUSTED: Status = Status(8);
    /// UNIMPLEMENTED.
    pub const UNIMPLEMENTED: Status = Status(12);
    /// INTERNAL.
    pub const INTERNAL: Status = Status(13);
    /// UNAVAILABLE.
    pub const UNAVAILABLE: Status = Status(14);
    /// UNAUTHENTICATED.
    pub const UNAUTHENTICATED: Status = Status(16);

    /// "DEADLINE_EXCEEDED" for 4; "UNKNOWN_CODE" outside 0..16.
    pub fn name(self) -> String {
        // SAFETY: zquic_grpc_status_name returns a static NUL-terminated string.
        unsafe { string_from(sys::zquic_grpc_status_name(self.0)) }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Options of one call.
#[derive(Debug, Clone)]
pub struct CallOptions {
    timeout: Option<Duration>,
    metadata: Vec<(String, Vec<u8>)>,
    authority: Option<String>,
    compress: bool,
}

impl Default for CallOptions {
    fn default() -> Self {
        CallOptions { timeout: Some(Duration::from_secs(30)), metadata: Vec::new(), authority: None, compress: false }
    }
}

impl CallOptions {
    /// Defaults: a 30 s deadline, no metadata.
    pub fn new() -> CallOptions {
        CallOptions::default()
    }
    /// Deadline of the whole call, sent as `grpc-timeout`; None: no deadline.
    pub fn timeout(mut self, t: Option<Duration>) -> CallOptions {
        self.timeout = t;
        self
    }
    /// Adds a request metadata entry (lower-case key; "-bin" keys carry any bytes).
    pub fn metadata(mut self, key: &str, value: &[u8]) -> CallOptions {
        self.metadata.push((key.to_string(), value.to_vec()));
        self
    }
    /// `:authority` (default: the connection's server name).
    pub fn authority(mut self, authority: &str) -> CallOptions {
        self.authority = Some(authority.to_string());
        self
    }
    /// Send the request gzip-compressed.
    pub fn compress(mut self, on: bool) -> CallOptions {
        self.compress = on;
        self
    }
}

/// The C form of CallOptions, with everything it points to.
struct RawCallOptions {
    raw: sys::zquic_grpc_call_options,
    _keys: Vec<CString>,
    _md: Vec<sys::zquic_grpc_metadata>,
    _authority: Option<CString>,
}

impl CallOptions {
    fn to_raw(&self) -> Result<RawCallOptions> {
        let keys = self.metadata.iter().map(|(k, _)| cstring(k)).collect::<Result<Vec<_>>>()?;
        let md: Vec<sys::zquic_grpc_metadata> = keys
            .iter()
            .zip(&self.metadata)
            .map(|(k, (_, v))| sys::zquic_grpc_metadata { key: k.as_ptr(), value: v.as_ptr(), value_len: v.len() })
            .collect();
        let authority = self.authority.as_deref().map(cstring).transpose()?;
        let mut raw = std::mem::MaybeUninit::<sys::zquic_grpc_call_options>::uninit();
        // SAFETY: zquic_grpc_call_options_init fills every field.
        let mut raw = unsafe {
            sys::zquic_grpc_call_options_init(raw.as_mut_ptr());
            raw.assume_init()
        };
        raw.timeout_ms = match self.timeout {
            None => 0,
            Some(t) => timeout_ms(Some(t)).max(1),
        };
        raw.metadata = if md.is_empty() { ptr::null() } else { md.as_ptr() };
        raw.n_metadata = md.len();
        raw.authority = opt_ptr(&authority);
        raw.compress = self.compress as c_int;
        // The vectors' heap buffers stay put when they move into the struct.
        Ok(RawCallOptions { raw, _keys: keys, _md: md, _authority: authority })
    }
}

/// The outcome of a call: its gRPC status, the reply message and the server's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// gRPC status.
    pub status: Status,
    /// `grpc-message` (or the client's reason); "" when OK.
    pub message: String,
    /// The reply message of a unary call (empty when none).
    pub data: Vec<u8>,
    /// `:status` of the HTTP/3 answer; 0 when none arrived.
    pub http_status: i32,
    /// Response headers then trailers, pseudo-headers left out; "-bin" values decoded.
    pub metadata: Vec<(String, Vec<u8>)>,
}

impl Response {
    /// True when the status is OK.
    pub fn is_ok(&self) -> bool {
        self.status == Status::OK
    }

    /// The first metadata value named `key`.
    pub fn metadata_get(&self, key: &str) -> Option<&[u8]> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_slice())
    }

    /// Copies a library response and frees it.
    ///
    /// # Safety
    /// `resp` is a live response the caller owns; it is freed here.
    unsafe fn take(resp: *mut sys::zquic_grpc_response) -> Response {
        let r = &*resp;
        let data = if r.data.is_null() { Vec::new() } else { std::slice::from_raw_parts(r.data, r.len).to_vec() };
        let mut metadata = Vec::new();
        for i in 0.. {
            let mut key: *const c_char = ptr::null();
            let mut value: *const u8 = ptr::null();
            let mut len = 0usize;
            if sys::zquic_grpc_response_metadata(resp, i, &mut key, &mut value, &mut len) != sys::ZQUIC_OK {
                break;
            }
            let v = if value.is_null() { Vec::new() } else { std::slice::from_raw_parts(value, len).to_vec() };
            metadata.push((string_from(key), v));
        }
        let out = Response {
            status: Status(r.status),
            message: string_from_array(&r.error),
            data,
            http_status: r.http_status,
            metadata,
        };
        sys::zquic_grpc_response_free(resp);
        out
    }
}

/// A GhostBridge client: calls on one HTTP/3 connection (many at once).
#[derive(Clone, Debug)]
pub struct Client {
    conn: Connection,
}

impl Client {
    /// Calls on an existing connection (its ALPN must be "h3").
    pub fn new(conn: Connection) -> Client {
        Client { conn }
    }

    /// Connects to `address` with ALPN "h3" and the given options (CA file, SNI, timeout).
    pub fn connect(ctx: &Context, address: &str, opts: ConnectOptions) -> Result<Client> {
        Ok(Client { conn: ctx.connect_with(address, &opts.alpn("h3"))? })
    }

    /// The connection the calls go on.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// A blocking unary call: sends `request` to `method` ("/pkg.Service/Method") and waits for
    /// the status (bounded by the call's deadline). `Ok` holds the response whatever its gRPC
    /// status; `Err` means the call could not be made at all.
    pub fn call(&self, method: &str, request: &[u8], opts: &CallOptions) -> Result<Response> {
        let method = cstring(method)?;
        let raw = opts.to_raw()?;
        let mut out = ptr::null_mut();
        // SAFETY: live connection; every pointer is valid for the call (the request is copied);
        // on success *out is a response we own, taken (and freed) at once.
        check(unsafe {
            sys::zquic_grpc_call(
                self.conn.inner.ptr,
                method.as_ptr(),
                request.as_ptr() as *const c_void,
                request.len(),
                &raw.raw,
                &mut out,
            )
        })?;
        // SAFETY: out is the live response the call gave us.
        Ok(unsafe { Response::take(out) })
    }

    /// Starts a unary call and returns a future of its response at once (`zquic_grpc_call_async`:
    /// no thread waits for it; the library's completion callback wakes the future).
    pub fn call_async(&self, method: &str, request: &[u8], opts: &CallOptions) -> ResponseFuture {
        let shared = Arc::new(Mutex::new(CallState::default()));
        let start = || -> Result<()> {
            let method = cstring(method)?;
            let raw = opts.to_raw()?;
            let user = Arc::into_raw(shared.clone()) as *mut c_void;
            // SAFETY: live connection, valid pointers (copied by the library). `user` is one
            // strong count handed to the callback, which takes it back exactly once; when the
            // call fails to start the callback never runs and we take it back here.
            let rc = unsafe {
                sys::zquic_grpc_call_async(
                    self.conn.inner.ptr,
                    method.as_ptr(),
                    request.as_ptr() as *const c_void,
                    request.len(),
                    &raw.raw,
                    Some(on_call_done),
                    user,
                )
            };
            if rc != sys::ZQUIC_OK {
                let e = Error::last(rc);
                // SAFETY: the callback will not run, so the count is still ours.
                drop(unsafe { Arc::from_raw(user as *const Mutex<CallState>) });
                return Err(e);
            }
            Ok(())
        };
        match start() {
            Ok(()) => ResponseFuture { shared, error: None, _conn: Some(self.conn.clone()) },
            Err(e) => ResponseFuture { shared, error: Some(e), _conn: None },
        }
    }
}

#[derive(Default)]
struct CallState {
    response: Option<Response>,
    waker: Option<Waker>,
}

unsafe extern "C" fn on_call_done(resp: *mut sys::zquic_grpc_response, user: *mut c_void) {
    let _guard = LoopGuard::enter();
    // SAFETY: `user` is the strong count call_async handed over; taken back exactly once here.
    let shared = Arc::from_raw(user as *const Mutex<CallState>);
    // SAFETY: the callback owns `resp`; take() copies and frees it.
    let response = Response::take(resp);
    let waker = {
        let mut st = shared.lock().unwrap_or_else(|e| e.into_inner());
        st.response = Some(response);
        st.waker.take()
    };
    if let Some(w) = waker {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| w.wake()));
    }
}

/// Future of [`Client::call_async`].
#[must_use = "futures do nothing unless polled"]
pub struct ResponseFuture {
    shared: Arc<Mutex<CallState>>,
    error: Option<Error>,
    // Keeps the connection (and context) alive while the call runs.
    _conn: Option<Connection>,
}

impl std::fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl Future for ResponseFuture {
    type Output = Result<Response>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        if let Some(e) = self.error.take() {
            return Poll::Ready(Err(e));
        }
        let mut st = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        match st.response.take() {
            Some(r) => Poll::Ready(Ok(r)),
            None => {
                st.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

// ---- server ---------------------------------------------------------------------------------

/// A method handler: gets the call (to answer now or later, from any thread) and the request.
pub type Handler = Box<dyn Fn(Call, &[u8]) + Send + Sync + 'static>;

struct Entry {
    handler: Handler,
    owner: Mutex<Weak<ServerInner>>,
}

struct ServerInner {
    grpc: *mut sys::zquic_grpc_server,
    server: AtomicPtr<sys::zquic_server>,
    entries: Vec<Box<Entry>>,
    ctx: Arc<ContextInner>,
}

// SAFETY: the handles are used through thread-safe zquic calls only and freed once, in Drop;
// the handlers are Send + Sync.
unsafe impl Send for ServerInner {}
// SAFETY: as above.
unsafe impl Sync for ServerInner {}

impl Drop for ServerInner {
    fn drop(&mut self) {
        let server = SendPtr(self.server.load(Ordering::Acquire));
        let grpc = SendPtr(self.grpc);
        let entries = std::mem::take(&mut self.entries);
        let ctx = self.ctx.clone();
        release(move || {
            let (server, grpc) = (server, grpc);
            // SAFETY: in the order the header asks: the socket that uses the service's handler,
            // then the service (no Call is left: each holds an Arc to this), then the handlers
            // the callbacks pointed to, then the context.
            unsafe {
                sys::zquic_server_free(server.0);
                sys::zquic_grpc_server_free(grpc.0);
            }
            drop(entries);
            drop(ctx);
        });
    }
}

/// Builder of a GhostBridge [`Server`]: register methods, then [`serve`](Self::serve).
pub struct ServerBuilder {
    ctx: Context,
    methods: Vec<(String, Handler)>,
    fallback: Option<Handler>,
    max_receive_message: Option<u32>,
}

impl std::fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerBuilder").finish_non_exhaustive()
    }
}

impl ServerBuilder {
    /// Routes `path` ("/pkg.Service/Method") to `handler`, a unary method: the handler runs on
    /// the loop thread once the request message is complete, and must not block: answer at once
    /// or move the [`Call`] to another thread and answer there.
    pub fn method<F>(mut self, path: &str, handler: F) -> ServerBuilder
    where
        F: Fn(Call, &[u8]) + Send + Sync + 'static,
    {
        self.methods.push((path.to_string(), Box::new(handler)));
        self
    }

    /// Handler of every method not registered (default: UNIMPLEMENTED).
    pub fn fallback<F>(mut self, handler: F) -> ServerBuilder
    where
        F: Fn(Call, &[u8]) + Send + Sync + 'static,
    {
        self.fallback = Some(Box::new(handler));
        self
    }

    /// Largest request message (default 4 MiB; bigger ones get RESOURCE_EXHAUSTED).
    pub fn max_receive_message(mut self, bytes: u32) -> ServerBuilder {
        self.max_receive_message = Some(bytes);
        self
    }

    /// Creates the service and binds its HTTP/3 server (`cfg`: address, certificate, key).
    pub fn serve(self, cfg: &ServerConfig) -> Result<Server> {
        let mut entries: Vec<Box<Entry>> = Vec::new();
        let mut paths = Vec::new();
        for (path, handler) in self.methods {
            paths.push(cstring(&path)?);
            entries.push(Box::new(Entry { handler, owner: Mutex::new(Weak::new()) }));
        }
        let fallback = self.fallback.map(|handler| Box::new(Entry { handler, owner: Mutex::new(Weak::new()) }));

        let mut gcfg = std::mem::MaybeUninit::<sys::zquic_grpc_server_config>::uninit();
        // SAFETY: zquic_grpc_server_config_init fills every field.
        let mut gcfg = unsafe {
            sys::zquic_grpc_server_config_init(gcfg.as_mut_ptr());
            gcfg.assume_init()
        };
        if let Some(n) = self.max_receive_message {
            gcfg.max_receive_message = n;
        }
        if let Some(fb) = &fallback {
            gcfg.handler = Some(on_unary);
            gcfg.user = &**fb as *const Entry as *mut c_void;
        }
        let mut grpc = ptr::null_mut();
        // SAFETY: live context; the fallback Entry (if any) is kept in `entries` below for as
        // long as the service exists (freed after it in ServerInner::drop).
        check(unsafe { sys::zquic_grpc_server_create(self.ctx.inner.ptr, &gcfg, &mut grpc) })?;
        if let Some(fb) = fallback {
            entries.push(fb);
        }
        // From here on ServerInner owns `grpc` and frees it on every path.
        let inner = Arc::new(ServerInner {
            grpc,
            server: AtomicPtr::new(ptr::null_mut()),
            entries,
            ctx: self.ctx.inner.clone(),
        });
        for e in &inner.entries {
            *e.owner.lock().unwrap_or_else(|e| e.into_inner()) = Arc::downgrade(&inner);
        }
        for (path, entry) in paths.iter().zip(&inner.entries) {
            let mut m = std::mem::MaybeUninit::<sys::zquic_grpc_method>::uninit();
            // SAFETY: zquic_grpc_method_init fills every field.
            let mut m = unsafe {
                sys::zquic_grpc_method_init(m.as_mut_ptr());
                m.assume_init()
            };
            m.on_call = Some(on_unary);
            m.user = &**entry as *const Entry as *mut c_void;
            // SAFETY: live service; the method struct is copied; `user` points into a Box that
            // lives as long as the service (see ServerInner::drop).
            check(unsafe { sys::zquic_grpc_server_register(inner.grpc, path.as_ptr(), &m) })?;
        }
        let cfg = if cfg.alpn.is_none() { cfg.clone().alpn("h3") } else { cfg.clone() };
        // SAFETY: the handler config is owned by the service, which outlives the socket.
        let handler = unsafe { sys::zquic_grpc_server_h3_handler(inner.grpc) };
        let server = cfg.create(&self.ctx, handler)?;
        inner.server.store(server, Ordering::Release);
        Ok(Server { inner })
    }
}

/// The trampoline of every method: wraps the raw call and runs the Rust handler.
unsafe extern "C" fn on_unary(call: *mut sys::zquic_grpc_server_call, req: *const u8, len: usize, user: *mut c_void) {
    let _guard = LoopGuard::enter();
    // SAFETY: `user` is an Entry owned by a ServerInner, freed only after the service is freed
    // (after which no callback runs).
    let entry = &*(user as *const Entry);
    let owner = entry.owner.lock().unwrap_or_else(|e| e.into_inner()).upgrade();
    let owner = match owner {
        Some(o) => o,
        None => {
            // The server is being dropped: answer without running the handler.
            // SAFETY: a live call, finished exactly once here.
            sys::zquic_grpc_server_call_finish(call, Status::UNAVAILABLE.0, b"server stopping\0".as_ptr() as *const c_char, ptr::null(), 0);
            return;
        }
    };
    // SAFETY: the request is valid during the callback; the handler gets it as a borrow only.
    let request = if req.is_null() { &[][..] } else { std::slice::from_raw_parts(req, len) };
    let call = Call { ptr: call, owner: Some(owner) };
    // A panicking handler must not unwind into C; the Call it held is dropped during the unwind
    // and finishes the call (UNKNOWN).
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (entry.handler)(call, request)));
}

/// A running GhostBridge server. Dropping it stops the socket and frees the service once no
/// [`Call`] is left unanswered.
pub struct Server {
    inner: Arc<ServerInner>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").finish_non_exhaustive()
    }
}

impl Server {
    /// A builder on `ctx`.
    pub fn builder(ctx: &Context) -> ServerBuilder {
        ServerBuilder { ctx: ctx.clone(), methods: Vec::new(), fallback: None, max_receive_message: None }
    }

    /// The bound UDP port.
    pub fn port(&self) -> Result<u16> {
        // SAFETY: the server is live while inner is.
        let rc = unsafe { sys::zquic_server_port(self.inner.server.load(Ordering::Acquire)) };
        check(rc.min(0))?;
        Ok(rc as u16)
    }

    /// Graceful stop: refuse new connections, GOAWAY, wait up to `timeout` for calls in flight,
    /// then close every connection.
    pub fn shutdown(&self, timeout: Duration) -> Result<()> {
        // SAFETY: live server.
        check(unsafe { sys::zquic_server_shutdown(self.inner.server.load(Ordering::Acquire), timeout_ms(Some(timeout))) })
    }

    /// Health status of `service` ("" = the whole server) in grpc.health.v1.
    pub fn set_health(&self, service: &str, serving: bool) -> Result<()> {
        let s = cstring(service)?;
        // SAFETY: live service, valid string.
        check(unsafe { sys::zquic_grpc_server_set_health(self.inner.grpc, s.as_ptr(), if serving { 1 } else { 2 }) })
    }
}

/// One incoming call. Answer it exactly once with [`reply`](Self::reply) or
/// [`finish`](Self::finish), now or later, from any thread; dropping it unanswered finishes it
/// with UNKNOWN.
pub struct Call {
    ptr: *mut sys::zquic_grpc_server_call,
    owner: Option<Arc<ServerInner>>,
}

// SAFETY: the C API lets a call be answered from any thread; Call is not Sync (one owner).
unsafe impl Send for Call {}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call").finish_non_exhaustive()
    }
}

impl Call {
    /// "/pkg.Service/Method".
    pub fn method(&self) -> String {
        // SAFETY: live call; the string is copied.
        unsafe { string_from(sys::zquic_grpc_server_call_method(self.ptr)) }
    }

    /// The client's address, "127.0.0.1:54321".
    pub fn peer(&self) -> String {
        // SAFETY: live call; the string is copied.
        unsafe { string_from(sys::zquic_grpc_server_call_peer(self.ptr)) }
    }

    /// The first request metadata value named `key` ("-bin" values decoded).
    pub fn metadata(&self, key: &str) -> Option<Vec<u8>> {
        let k = cstring(key).ok()?;
        let mut v: *const u8 = ptr::null();
        let mut n = 0usize;
        // SAFETY: live call; the value is owned by the call and copied at once.
        unsafe {
            if sys::zquic_grpc_server_call_metadata(self.ptr, k.as_ptr(), &mut v, &mut n) != sys::ZQUIC_OK {
                return None;
            }
            Some(if v.is_null() { Vec::new() } else { std::slice::from_raw_parts(v, n).to_vec() })
        }
    }

    /// Time left before the client's deadline (zero when passed), None when it set none.
    pub fn time_left(&self) -> Option<Duration> {
        // SAFETY: live call.
        let ms = unsafe { sys::zquic_grpc_server_call_time_left_ms(self.ptr) };
        if ms < 0 {
            None
        } else {
            Some(Duration::from_millis(ms as u64))
        }
    }

    /// True when the call has ended early (cancelled, deadline passed, connection lost).
    pub fn is_cancelled(&self) -> bool {
        // SAFETY: live call.
        unsafe { sys::zquic_grpc_server_call_cancelled(self.ptr) != 0 }
    }

    /// Sends one reply message (server streaming), waiting up to `timeout` while more than
    /// 1 MiB is unsent.
    pub fn send(&mut self, msg: &[u8], timeout: Option<Duration>) -> Result<()> {
        // SAFETY: live call; msg copied.
        check(unsafe { sys::zquic_grpc_server_call_send(self.ptr, msg.as_ptr() as *const c_void, msg.len(), timeout_ms(timeout)) })
    }

    /// Unary answer: sends `msg` and finishes with OK.
    pub fn reply(mut self, msg: &[u8]) -> Result<()> {
        let p = std::mem::replace(&mut self.ptr, ptr::null_mut());
        // SAFETY: live call, answered exactly once (ptr cleared so Drop does not finish it).
        check(unsafe { sys::zquic_grpc_server_call_reply(p, msg.as_ptr() as *const c_void, msg.len()) })
    }

    /// Ends the call with `status` and a message (any UTF-8).
    pub fn finish(mut self, status: Status, message: &str) -> Result<()> {
        let p = std::mem::replace(&mut self.ptr, ptr::null_mut());
        finish_raw(p, status, message)
    }
}

fn finish_raw(p: *mut sys::zquic_grpc_server_call, status: Status, message: &str) -> Result<()> {
    let text = CString::new(message.replace('\0', " ")).unwrap_or_default();
    // SAFETY: a live call, finished exactly once by our callers.
    check(unsafe { sys::zquic_grpc_server_call_finish(p, status.0, text.as_ptr(), ptr::null(), 0) })
}

impl Drop for Call {
    fn drop(&mut self) {
        if !self.ptr.is_null() {
            let _ = finish_raw(self.ptr, Status::UNKNOWN, "the handler dropped the call without answering");
        }
        // The last owner of the server may be this call: its teardown is moved off a loop thread
        // by ServerInner::drop.
        drop(self.owner.take());
    }
}
