//! The error type: a zquic result code plus the detail text of `zquic_last_error`.
use std::ffi::CStr;
use std::fmt;
use std::io;
use std::os::raw::c_int;

use zquic_sys as sys;

/// Result of every fallible call of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// What went wrong, as one of zquic's result codes (`ZQUIC_ERR_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// NULL, wrong length, out of range, malformed text.
    InvalidArgument,
    /// Out of memory.
    NoMemory,
    /// A blocking call's timeout expired; nothing was lost.
    Timeout,
    /// A non-blocking call cannot proceed now.
    WouldBlock,
    /// The connection or stream is closed.
    Closed,
    /// The call does not fit the object's state.
    State,
    /// A blocking call made on a loop thread (inside a callback).
    LoopThread,
    /// The host name could not be resolved.
    Resolve,
    /// Socket, bind or send failed.
    Socket,
    /// TLS set-up or handshake failure.
    Tls,
    /// The peer's certificate was rejected.
    CertVerify,
    /// The QUIC handshake failed or timed out.
    Handshake,
    /// The peer violated QUIC or HTTP/3.
    Protocol,
    /// The peer reset the stream.
    StreamReset,
    /// The connection went idle and was closed.
    IdleTimeout,
    /// The peer closed the connection with an error.
    PeerClosed,
    /// A configured limit was hit.
    Limit,
    /// File read/write failure.
    Io,
    /// Not found.
    NotFound,
    /// A bug in zquic or a library below it.
    Internal,
    /// ZCrypto: the signature does not verify.
    BadSignature,
    /// ZCrypto: malformed key.
    InvalidKey,
    /// Algorithm, option or version not supported.
    Unsupported,
    /// Cancelled.
    Cancelled,
    /// 0-RTT refused by the server: send again.
    EarlyDataRejected,
    /// A code this crate does not know (a newer library).
    Other,
}

/// A failed zquic call: the result code, and the detail text the library gave for it.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    code: c_int,
    detail: String,
}

impl Error {
    /// An error with `code` (a negative `ZQUIC_ERR_*`) and a detail text of our own.
    pub fn new(code: i32, detail: impl Into<String>) -> Error {
        Error { code, detail: detail.into() }
    }

    /// The error of a call that just returned `code` on this thread, with the library's detail
    /// text (`zquic_last_error`, which is thread-local and only valid until the next call).
    pub(crate) fn last(code: c_int) -> Error {
        // SAFETY: zquic_last_error returns a valid NUL-terminated thread-local string (never
        // NULL), valid until the next zquic call on this thread; it is copied at once.
        let detail = unsafe { CStr::from_ptr(sys::zquic_last_error()) };
        Error { code, detail: detail.to_string_lossy().into_owned() }
    }

    /// The `ZQUIC_ERR_*` code (negative).
    pub fn code(&self) -> i32 {
        self.code
    }

    /// The library's detail text ("connect: certificate is not trusted ..."); may be empty.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The code as an enum.
    pub fn kind(&self) -> ErrorKind {
        use ErrorKind::*;
        match self.code {
            sys::ZQUIC_ERR_INVALID_ARGUMENT => InvalidArgument,
            sys::ZQUIC_ERR_NO_MEMORY => NoMemory,
            sys::ZQUIC_ERR_TIMEOUT => Timeout,
            sys::ZQUIC_ERR_WOULD_BLOCK => WouldBlock,
            sys::ZQUIC_ERR_CLOSED => Closed,
            sys::ZQUIC_ERR_STATE => State,
            sys::ZQUIC_ERR_LOOP_THREAD => LoopThread,
            sys::ZQUIC_ERR_RESOLVE => Resolve,
            sys::ZQUIC_ERR_SOCKET => Socket,
            sys::ZQUIC_ERR_TLS => Tls,
            sys::ZQUIC_ERR_CERT_VERIFY => CertVerify,
            sys::ZQUIC_ERR_HANDSHAKE => Handshake,
            sys::ZQUIC_ERR_PROTOCOL => Protocol,
            sys::ZQUIC_ERR_STREAM_RESET => StreamReset,
            sys::ZQUIC_ERR_IDLE_TIMEOUT => IdleTimeout,
            sys::ZQUIC_ERR_PEER_CLOSED => PeerClosed,
            sys::ZQUIC_ERR_LIMIT => Limit,
            sys::ZQUIC_ERR_IO => Io,
            sys::ZQUIC_ERR_NOT_FOUND => NotFound,
            sys::ZQUIC_ERR_INTERNAL => Internal,
            sys::ZQUIC_ERR_BAD_SIGNATURE => BadSignature,
            sys::ZQUIC_ERR_INVALID_KEY => InvalidKey,
            sys::ZQUIC_ERR_UNSUPPORTED => Unsupported,
            sys::ZQUIC_ERR_CANCELLED => Cancelled,
            sys::ZQUIC_ERR_EARLY_DATA_REJECTED => EarlyDataRejected,
            _ => Other,
        }
    }

    /// The code's one-line description from `zquic_strerror` ("invalid argument").
    pub fn description(&self) -> String {
        strerror(self.code)
    }
}

/// `zquic_strerror(code)`.
pub fn strerror(code: i32) -> String {
    // SAFETY: zquic_strerror returns a static NUL-terminated string for every code.
    unsafe { CStr::from_ptr(sys::zquic_strerror(code)) }.to_string_lossy().into_owned()
}

/// Ok for ZQUIC_OK, else the error with the calling thread's detail text.
pub(crate) fn check(rc: c_int) -> Result<()> {
    if rc == sys::ZQUIC_OK {
        Ok(())
    } else {
        Err(Error::last(rc))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.detail.is_empty() {
            write!(f, "{}", self.description())
        } else {
            write!(f, "{}: {}", self.description(), self.detail)
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("code", &self.code)
            .field("kind", &self.kind())
            .field("detail", &self.detail)
            .finish()
    }
}

impl std::error::Error for Error {}

impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        let kind = match e.kind() {
            ErrorKind::InvalidArgument => io::ErrorKind::InvalidInput,
            ErrorKind::Timeout => io::ErrorKind::TimedOut,
            ErrorKind::WouldBlock => io::ErrorKind::WouldBlock,
            ErrorKind::Closed | ErrorKind::IdleTimeout => io::ErrorKind::NotConnected,
            ErrorKind::StreamReset | ErrorKind::PeerClosed => io::ErrorKind::ConnectionReset,
            ErrorKind::NotFound => io::ErrorKind::NotFound,
            ErrorKind::NoMemory => io::ErrorKind::OutOfMemory,
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, e)
    }
}
