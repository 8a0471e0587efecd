//! Client and server connections, their streams (std `Read`/`Write` and futures), and the
//! per-connection event callback the futures wait on.
use std::ffi::CString;
use std::future::Future;
use std::io;
use std::mem::MaybeUninit;
use std::os::raw::{c_int, c_void};
use std::pin::Pin;
use std::ptr;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Duration;

use crate::context::{Context, ContextInner};
use crate::error::{check, Error, Result};
use crate::util::{cstring, opt_cstring, opt_ptr, release, string_from, string_from_array, timeout_ms, LoopGuard, SendPtr};
use zquic_sys as sys;

/// Options of one connect: ALPN, server name, trust anchors, handshake deadline.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub(crate) alpn: Option<String>,
    pub(crate) sni: Option<String>,
    pub(crate) ca_file: Option<String>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) insecure: bool,
    pub(crate) enable_0rtt: bool,
}

impl ConnectOptions {
    /// The context's defaults.
    pub fn new() -> ConnectOptions {
        ConnectOptions::default()
    }
    /// ALPN comma list ("h3" for HTTP/3 and GhostBridge, "doq" for CNS/ZNS).
    pub fn alpn(mut self, alpn: &str) -> ConnectOptions {
        self.alpn = Some(alpn.to_string());
        self
    }
    /// Name to verify and send as SNI (default: the host part of the address).
    pub fn sni(mut self, name: &str) -> ConnectOptions {
        self.sni = Some(name.to_string());
        self
    }
    /// PEM trust anchors (default: the context's, or the system CAs).
    pub fn ca_file(mut self, path: &str) -> ConnectOptions {
        self.ca_file = Some(path.to_string());
        self
    }
    /// Handshake deadline (default: the context's connection timeout).
    pub fn timeout(mut self, t: Duration) -> ConnectOptions {
        self.timeout = Some(t);
        self
    }
    /// Resume the last session with 0-RTT when one is known. Only a [`dns::Client`](crate::dns::Client)
    /// keeps sessions in this crate: its reconnections then send their first queries as early data
    /// (counted by [`early_connects`](crate::dns::Client::early_connects)). A plain connect has
    /// no session to resume, so there it changes nothing. Default off.
    pub fn enable_0rtt(mut self, on: bool) -> ConnectOptions {
        self.enable_0rtt = on;
        self
    }
    /// Turns off certificate verification: anyone on the path can impersonate the server. For
    /// tests only.
    pub fn insecure_skip_verify_dangerous(mut self) -> ConnectOptions {
        self.insecure = true;
        self
    }
}

/// The C form of [`ConnectOptions`]; the strings live as long as this.
pub(crate) struct RawConnectOptions {
    pub(crate) raw: sys::zquic_connect_options,
    _strings: [Option<CString>; 3],
}

impl ConnectOptions {
    pub(crate) fn to_raw(&self) -> Result<RawConnectOptions> {
        let strings = [
            opt_cstring(self.alpn.as_deref())?,
            opt_cstring(self.sni.as_deref())?,
            opt_cstring(self.ca_file.as_deref())?,
        ];
        let mut raw = MaybeUninit::<sys::zquic_connect_options>::uninit();
        // SAFETY: zquic_connect_options_init fills every field.
        let mut raw = unsafe {
            sys::zquic_connect_options_init(raw.as_mut_ptr());
            raw.assume_init()
        };
        raw.alpn = opt_ptr(&strings[0]);
        raw.sni = opt_ptr(&strings[1]);
        raw.ca_file = opt_ptr(&strings[2]);
        if let Some(t) = self.timeout {
            raw.timeout_ms = timeout_ms(Some(t)).max(1);
        }
        raw.insecure_skip_verify_DANGEROUS = self.insecure as c_int;
        raw.enable_0rtt = self.enable_0rtt as c_int;
        // The CStrings' heap buffers do not move when the array moves into the struct.
        Ok(RawConnectOptions { raw, _strings: strings })
    }
}

/// Wakers of futures waiting on one connection, woken by its event callback.
#[derive(Default)]
pub(crate) struct Waiters {
    wakers: Mutex<Vec<Waker>>,
}

impl Waiters {
    pub(crate) fn register(&self, waker: &Waker) {
        let mut w = self.wakers.lock().unwrap_or_else(|e| e.into_inner());
        if !w.iter().any(|x| x.will_wake(waker)) {
            w.push(waker.clone());
        }
    }
    fn wake_all(&self) {
        let wakers = std::mem::take(&mut *self.wakers.lock().unwrap_or_else(|e| e.into_inner()));
        for w in wakers {
            w.wake();
        }
    }
}

/// The connection's event callback: every event (connected, closed, readable, writable, ...)
/// wakes every future waiting on the connection; each then retries its non-blocking call.
unsafe extern "C" fn on_event(_conn: *mut sys::zquic_connection, _event: c_int, user: *mut c_void) {
    let _guard = LoopGuard::enter();
    // SAFETY: `user` is the Waiters of a live ConnInner: it is cleared (under the lock the loop
    // holds while calling us) before the ConnInner and its Waiters are dropped.
    let waiters = &*(user as *const Waiters);
    // A panicking waker must not unwind into C.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| waiters.wake_all()));
}

pub(crate) struct ConnInner {
    pub(crate) ptr: *mut sys::zquic_connection,
    pub(crate) waiters: Arc<Waiters>,
    pub(crate) ctx: Arc<ContextInner>,
}

// SAFETY: every zquic connection function is thread-safe; the handle is closed once, in Drop.
unsafe impl Send for ConnInner {}
// SAFETY: as above.
unsafe impl Sync for ConnInner {}

impl Drop for ConnInner {
    fn drop(&mut self) {
        let p = SendPtr(self.ptr);
        let waiters = self.waiters.clone();
        let ctx = self.ctx.clone();
        release(move || {
            let p = p;
            // SAFETY: the connection is live until closed below. Clearing the callback takes the
            // lock the loop thread holds while it runs callbacks, so none runs with our Waiters
            // afterwards; then the handle is released once, before the context (held by `ctx`).
            unsafe {
                sys::zquic_set_connection_callback(p.0, None, ptr::null_mut());
                sys::zquic_close_connection(p.0);
            }
            drop(waiters);
            drop(ctx);
        });
    }
}

/// A QUIC connection, client or server side.
///
/// Cheap to clone (shared). The connection is closed (CONNECTION_CLOSE, no error) when the last
/// clone, stream or call made on it is dropped, and it keeps its context alive until then.
#[derive(Clone)]
pub struct Connection {
    pub(crate) inner: Arc<ConnInner>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("ptr", &self.inner.ptr).finish()
    }
}

impl Connection {
    /// Takes ownership of a connection handle and installs the event callback.
    pub(crate) fn from_raw(ctx: &Context, ptr: *mut sys::zquic_connection) -> Connection {
        let waiters = Arc::new(Waiters::default());
        // SAFETY: ptr is a live connection we own; the Waiters outlive the callback's use of
        // them (see ConnInner::drop). Setting a callback fails only for NULL.
        unsafe {
            sys::zquic_set_connection_callback(
                ptr,
                Some(on_event),
                Arc::as_ptr(&waiters) as *mut c_void,
            );
        }
        Connection { inner: Arc::new(ConnInner { ptr, waiters, ctx: ctx.inner.clone() }) }
    }

    pub(crate) fn connect(ctx: &Context, address: &str, opts: &ConnectOptions) -> Result<Connection> {
        let addr = cstring(address)?;
        let raw = opts.to_raw()?;
        let mut out = ptr::null_mut();
        // SAFETY: live context, valid strings and options for the duration of the call.
        check(unsafe { sys::zquic_create_connection_ex(ctx.inner.ptr, addr.as_ptr(), &raw.raw, &mut out) })?;
        Ok(Connection::from_raw(ctx, out))
    }

    pub(crate) fn connect_async(ctx: &Context, address: &str, opts: &ConnectOptions) -> Connecting {
        let start = || -> Result<Connection> {
            let addr = cstring(address)?;
            let raw = opts.to_raw()?;
            let mut out = ptr::null_mut();
            // SAFETY: as in connect; the call returns at once with a connecting handle we own.
            check(unsafe { sys::zquic_connect_async(ctx.inner.ptr, addr.as_ptr(), &raw.raw, &mut out) })?;
            Ok(Connection::from_raw(ctx, out))
        };
        Connecting { state: Some(start()) }
    }

    /// The ALPN protocol the handshake selected ("h3", "doq"); "" before the handshake.
    pub fn alpn(&self) -> String {
        // SAFETY: the string is owned by the connection, which we hold; it is copied at once.
        unsafe { string_from(sys::zquic_connection_alpn(self.inner.ptr)) }
    }

    /// Facts about the connection: addresses, state, RTT, counters, cipher.
    pub fn info(&self) -> Result<ConnectionInfo> {
        let raw = MaybeUninit::<sys::zquic_connection_info>::zeroed();
        // SAFETY: an all-zero zquic_connection_info is valid (integers and char arrays); the
        // library fills the struct_size bytes we announce.
        let mut raw = unsafe { raw.assume_init() };
        raw.struct_size = std::mem::size_of::<sys::zquic_connection_info>();
        // SAFETY: live connection, writable struct of the announced size.
        check(unsafe { sys::zquic_get_connection_info(self.inner.ptr, &mut raw) })?;
        Ok(ConnectionInfo {
            remote_address: string_from_array(&raw.remote_address),
            local_address: string_from_array(&raw.local_address),
            state: match raw.state {
                sys::ZQUIC_STATE_CONNECTING => State::Connecting,
                sys::ZQUIC_STATE_CONNECTED => State::Connected,
                _ => State::Closed,
            },
            rtt: Duration::from_micros(raw.rtt_us),
            bytes_sent: raw.bytes_sent,
            bytes_received: raw.bytes_received,
            quic_version: raw.quic_version,
            alpn: string_from_array(&raw.alpn),
            cipher: string_from_array(&raw.cipher),
            resumed: raw.resumed != 0,
            close_code: raw.close_code,
        })
    }

    /// Opens a bidirectional stream, waiting up to `timeout` (None: forever) for the peer to
    /// allow another one.
    pub fn open_bidi(&self, timeout: Option<Duration>) -> Result<Stream> {
        self.open(sys::ZQUIC_STREAM_BIDI, timeout)
    }

    /// Opens a unidirectional (send-only) stream.
    pub fn open_uni(&self, timeout: Option<Duration>) -> Result<Stream> {
        self.open(sys::ZQUIC_STREAM_UNI, timeout)
    }

    fn open(&self, kind: c_int, timeout: Option<Duration>) -> Result<Stream> {
        let mut out = ptr::null_mut();
        // SAFETY: live connection; *out receives a stream we own.
        check(unsafe { sys::zquic_stream_open(self.inner.ptr, kind, timeout_ms(timeout), &mut out) })?;
        Ok(Stream::new(self, out))
    }

    /// Waits up to `timeout` (None: forever) for a stream the peer opened.
    pub fn accept_stream(&self, timeout: Option<Duration>) -> Result<Stream> {
        let mut out = ptr::null_mut();
        // SAFETY: live connection; *out receives a stream we own.
        check(unsafe { sys::zquic_stream_accept(self.inner.ptr, timeout_ms(timeout), &mut out) })?;
        Ok(Stream::new(self, out))
    }

    /// A future of the next stream the peer opens.
    pub fn accept_stream_async(&self) -> AcceptStream {
        AcceptStream { conn: self.clone() }
    }

    pub(crate) fn state(&self) -> Result<(c_int, c_int)> {
        let info = self.info()?;
        let state = match info.state {
            State::Connecting => sys::ZQUIC_STATE_CONNECTING,
            State::Connected => sys::ZQUIC_STATE_CONNECTED,
            State::Closed => sys::ZQUIC_STATE_CLOSED,
        };
        Ok((state, info.close_code))
    }
}

/// Connection state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Handshaking.
    Connecting,
    /// Up.
    Connected,
    /// Closed.
    Closed,
}

/// Facts about a connection (`zquic_get_connection_info`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConnectionInfo {
    /// "127.0.0.1:4433", `"[::1]:4433"`.
    pub remote_address: String,
    /// Our address.
    pub local_address: String,
    /// Connection state.
    pub state: State,
    /// Smoothed round-trip time.
    pub rtt: Duration,
    /// UDP payload bytes sent.
    pub bytes_sent: u64,
    /// UDP payload bytes received.
    pub bytes_received: u64,
    /// 1, or 0x6b3343cf for QUIC v2.
    pub quic_version: u32,
    /// Selected ALPN.
    pub alpn: String,
    /// TLS cipher suite.
    pub cipher: String,
    /// The TLS session was resumed.
    pub resumed: bool,
    /// The `ZQUIC_ERR_*` code the connection ended with, 0 while open.
    pub close_code: i32,
}

/// A connect in progress ([`Context::connect_async`]): resolves to the connection once the
/// handshake is done, or to the error it failed with.
#[must_use = "futures do nothing unless polled"]
pub struct Connecting {
    state: Option<Result<Connection>>,
}

impl std::fmt::Debug for Connecting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connecting").finish_non_exhaustive()
    }
}

impl Future for Connecting {
    type Output = Result<Connection>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let conn = match self.state.take() {
            None => panic!("Connecting polled after completion"),
            Some(Err(e)) => return Poll::Ready(Err(e)),
            Some(Ok(conn)) => conn,
        };
        // Register first, then look: an event between the two still wakes us.
        conn.inner.waiters.register(cx.waker());
        match conn.state() {
            Err(e) => Poll::Ready(Err(e)),
            Ok((sys::ZQUIC_STATE_CONNECTED, _)) => Poll::Ready(Ok(conn)),
            Ok((sys::ZQUIC_STATE_CLOSED, code)) => {
                let code = if code < 0 { code } else { sys::ZQUIC_ERR_HANDSHAKE };
                Poll::Ready(Err(Error::new(code, "connect failed")))
            }
            Ok(_) => {
                self.state = Some(Ok(conn));
                Poll::Pending
            }
        }
    }
}

/// Future of [`Connection::accept_stream_async`].
#[must_use = "futures do nothing unless polled"]
pub struct AcceptStream {
    conn: Connection,
}

impl std::fmt::Debug for AcceptStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcceptStream").finish_non_exhaustive()
    }
}

impl Future for AcceptStream {
    type Output = Result<Stream>;
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        self.conn.inner.waiters.register(cx.waker());
        match self.conn.accept_stream(Some(Duration::from_millis(0))) {
            Err(e) if would_block(&e) => Poll::Pending,
            other => Poll::Ready(other),
        }
    }
}

fn would_block(e: &Error) -> bool {
    e.code() == sys::ZQUIC_ERR_WOULD_BLOCK || e.code() == sys::ZQUIC_ERR_TIMEOUT
}

/// A QUIC stream: `Read` and `Write` block (up to the stream's timeout), the `*_async` methods
/// return futures that wait on the connection's events instead.
///
/// Dropping the stream ends its send side with FIN (if still open) and tells the peer to stop
/// sending if unread data remains. It keeps its connection alive.
pub struct Stream {
    ptr: *mut sys::zquic_stream,
    conn: Connection,
    timeout: Option<Duration>,
}

// SAFETY: zquic stream functions are thread-safe; the handle is released once, in Drop.
unsafe impl Send for Stream {}
// SAFETY: as above; every method that changes the stream takes &mut self anyway.
unsafe impl Sync for Stream {}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream").finish_non_exhaustive()
    }
}

impl Stream {
    fn new(conn: &Connection, ptr: *mut sys::zquic_stream) -> Stream {
        Stream { ptr, conn: conn.clone(), timeout: None }
    }

    /// The QUIC stream ID (bit 0: server-initiated, bit 1: unidirectional).
    pub fn id(&self) -> i64 {
        // SAFETY: live stream.
        unsafe { sys::zquic_stream_id(self.ptr) }
    }

    /// The connection the stream belongs to.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Longest wait of `read` and `write` (None, the default: no limit). A timeout is an
    /// `io::ErrorKind::TimedOut` error.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    /// Sends `data` and ends the send side (FIN) after it.
    pub fn send_final(&mut self, data: &[u8]) -> Result<()> {
        self.send(data, true, self.timeout).map(|_| ())
    }

    /// Ends the send side (FIN).
    pub fn finish(&mut self) -> Result<()> {
        self.send_final(&[])
    }

    /// RESET_STREAM with an application error code: queued data is dropped.
    pub fn reset(&mut self, app_error: u64) -> Result<()> {
        // SAFETY: live stream.
        check(unsafe { sys::zquic_stream_reset(self.ptr, app_error) })
    }

    /// STOP_SENDING with an application error code.
    pub fn stop_sending(&mut self, app_error: u64) -> Result<()> {
        // SAFETY: live stream.
        check(unsafe { sys::zquic_stream_stop_sending(self.ptr, app_error) })
    }

    /// The peer's application error code after an [`ErrorKind::StreamReset`](crate::ErrorKind)
    /// error, else 0.
    pub fn reset_code(&self) -> u64 {
        // SAFETY: live stream.
        unsafe { sys::zquic_stream_reset_code(self.ptr) }
    }

    fn send(&mut self, data: &[u8], fin: bool, timeout: Option<Duration>) -> Result<usize> {
        let mut sent = 0usize;
        // SAFETY: live stream; data is readable for its length (copied by the library).
        let rc = unsafe {
            sys::zquic_stream_send(
                self.ptr,
                data.as_ptr() as *const c_void,
                data.len(),
                fin as c_int,
                timeout_ms(timeout),
                &mut sent,
            )
        };
        match check(rc) {
            Ok(()) => Ok(data.len()),
            // Part of the data was queued before the deadline: report that much as written.
            Err(e) if would_block(&e) && sent > 0 && !fin => Ok(sent),
            Err(e) => Err(e),
        }
    }

    fn receive(&mut self, buf: &mut [u8], timeout: Option<Duration>) -> Result<usize> {
        let mut n = 0usize;
        // SAFETY: live stream; buf is writable for its length.
        check(unsafe {
            sys::zquic_stream_receive(self.ptr, buf.as_mut_ptr() as *mut c_void, buf.len(), timeout_ms(timeout), &mut n)
        })?;
        Ok(n)
    }

    /// A future reading into `buf`: resolves to the bytes read, 0 at the end of the stream.
    pub fn read_async<'a>(&'a mut self, buf: &'a mut [u8]) -> ReadFuture<'a> {
        ReadFuture { stream: self, buf }
    }

    /// A future writing all of `data` (and FIN after it when `fin`).
    pub fn write_all_async<'a>(&'a mut self, data: &'a [u8], fin: bool) -> WriteFuture<'a> {
        WriteFuture { stream: self, data, fin }
    }
}

impl io::Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let t = self.timeout;
        Ok(self.receive(buf, t)?)
    }
}

impl io::Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let t = self.timeout;
        Ok(self.send(buf, false, t)?)
    }
    /// Data is handed to the library on `write`; nothing is buffered here.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // SAFETY: released once; the connection and context (held by self.conn, dropped after
        // this) outlive the call. zquic_close_stream does not wait for the loop.
        unsafe { sys::zquic_close_stream(self.ptr) }
    }
}

/// Future of [`Stream::read_async`].
#[must_use = "futures do nothing unless polled"]
pub struct ReadFuture<'a> {
    stream: &'a mut Stream,
    buf: &'a mut [u8],
}

impl std::fmt::Debug for ReadFuture<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadFuture").finish_non_exhaustive()
    }
}

impl Future for ReadFuture<'_> {
    type Output = Result<usize>;
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.stream.conn.inner.waiters.register(cx.waker());
        match this.stream.receive(this.buf, Some(Duration::from_millis(0))) {
            Err(e) if would_block(&e) => Poll::Pending,
            other => Poll::Ready(other),
        }
    }
}

/// Future of [`Stream::write_all_async`].
#[must_use = "futures do nothing unless polled"]
pub struct WriteFuture<'a> {
    stream: &'a mut Stream,
    data: &'a [u8],
    fin: bool,
}

impl std::fmt::Debug for WriteFuture<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteFuture").finish_non_exhaustive()
    }
}

impl Future for WriteFuture<'_> {
    type Output = Result<()>;
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            this.stream.conn.inner.waiters.register(cx.waker());
            let chunk = this.data;
            let mut sent = 0usize;
            // SAFETY: live stream; chunk readable for its length (copied by the library).
            let rc = unsafe {
                sys::zquic_stream_send(
                    this.stream.ptr,
                    chunk.as_ptr() as *const c_void,
                    chunk.len(),
                    this.fin as c_int,
                    0,
                    &mut sent,
                )
            };
            match check(rc) {
                Ok(()) => return Poll::Ready(Ok(())),
                Err(e) if would_block(&e) => {
                    this.data = &chunk[sent.min(chunk.len())..];
                    if sent == 0 {
                        return Poll::Pending;
                    }
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}
