//! Safe Rust bindings of zquic, the QUIC stack of the GhostChain services, with its five
//! services:
//!
//! - **QUIC / HTTP/3 streams**: [`Context`], [`Connection`], [`Stream`] (`std::io::Read` and
//!   `Write`, plus futures), [`Server`];
//! - **GhostBridge** (gRPC over HTTP/3): [`grpc::Client`] (blocking and async unary calls),
//!   [`grpc::Server`] with closures as method handlers;
//! - **CNS/ZNS** (DNS over QUIC): [`dns::query`], [`dns::query_async`], the reconnecting
//!   [`dns::Client`], [`dns::Server`];
//! - **ZCrypto**: [`crypto`] (keygen, sign, verify, x25519, hashes, BLAKE3);
//! - **Wraith** (HTTP/3 reverse proxy): [`proxy::Proxy`].
//!
//! # Threads, ownership, async
//!
//! Every type wraps a thread-safe C handle and is `Send + Sync` (a [`grpc::Call`] and a
//! [`crypto::Hasher`] are `Send` only: one owner answers or feeds them). A handle keeps its
//! parent alive (a stream its connection, a connection its context), so dropping in any order
//! is safe: the library sees streams and calls freed before their connections, and connections
//! before their context. Server handlers run on the context's loop thread, so they are
//! `Fn + Send + Sync + 'static` and must not block: move the [`grpc::Call`] to another thread to
//! answer later.
//!
//! The futures ([`Context::connect_async`], [`Stream::read_async`], [`grpc::Client::call_async`],
//! [`dns::query_async`], [`dns::Client::query_async`]) use only `std::future::Future` and `Waker`, woken by the library's
//! callbacks (no thread is spawned or blocked per call), so they run under any executor;
//! [`block_on`] is a minimal one. A future dropped before it completes is safe: the library
//! still holds a reference to its state and gives it back in the callback.
//!
//! ```no_run
//! use std::io::{Read, Write};
//! let ctx = zquic::Context::builder().ca_file("ca.pem").build()?;
//! let conn = ctx.connect("localhost:4433")?;
//! let mut s = conn.open_bidi(None)?;
//! s.write_all(b"ping")?;
//! s.finish()?;
//! let mut reply = Vec::new();
//! s.read_to_end(&mut reply)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs, missing_debug_implementations)]

mod connection;
mod context;
mod error;
mod util;

pub mod crypto;
pub mod dns;
pub mod grpc;
pub mod proxy;

pub use connection::{AcceptStream, ConnectOptions, Connecting, Connection, ConnectionInfo, ReadFuture, State, Stream, WriteFuture};
pub use context::{version, Config, Context, Server, ServerConfig};
pub use error::{strerror, Error, ErrorKind, Result};
pub use util::block_on;

/// The raw declarations, for what the safe API does not cover.
pub use zquic_sys as sys;
