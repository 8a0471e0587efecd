//! Raw declarations of zquic's C API, `include/zquic.h`, written by hand and kept in step with
//! the header by `tests/drift.rs` (struct sizes and field offsets measured by a C program, every
//! `#define ZQUIC_*` value and every `ZQUIC_API` function name).
//!
//! Everything here is `unsafe` to call and follows the header's rules: ownership, threads and
//! timeouts are documented there, function by function. Use the `zquic` crate for safe wrappers.
#![allow(non_camel_case_types)]
// Field names follow the header (`insecure_skip_verify_DANGEROUS`).
#![allow(non_snake_case)]
#![allow(clippy::missing_safety_doc)]

use std::os::raw::{c_char, c_int, c_uint, c_void};

macro_rules! constants {
    ($($(#[$m:meta])* $name:ident: $ty:ty = $val:expr;)*) => {
        $($(#[$m])* pub const $name: $ty = $val;)*
        /// Every constant above as (name, value): the drift test compares them with the header.
        pub const ALL_CONSTANTS: &[(&str, i64)] = &[$((stringify!($name), $val as i64)),*];
    };
}

macro_rules! opaque {
    ($($(#[$m:meta])* $name:ident;)*) => {
        $($(#[$m])*
        #[repr(C)]
        pub struct $name {
            _private: [u8; 0],
            // Not Send, not Sync, not Unpin: only ever used behind raw pointers.
            _marker: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
        })*
    };
}

constants! {
    /// Major version of the header these declarations follow.
    ZQUIC_VERSION_MAJOR: c_int = 0;
    /// Minor version.
    ZQUIC_VERSION_MINOR: c_int = 1;
    /// Patch version.
    ZQUIC_VERSION_PATCH: c_int = 0;

    /// Success.
    ZQUIC_OK: c_int = 0;
    /// NULL, wrong length, out of range, malformed text.
    ZQUIC_ERR_INVALID_ARGUMENT: c_int = -1;
    /// Out of memory.
    ZQUIC_ERR_NO_MEMORY: c_int = -2;
    /// A blocking call's timeout expired.
    ZQUIC_ERR_TIMEOUT: c_int = -3;
    /// A non-blocking call cannot proceed now.
    ZQUIC_ERR_WOULD_BLOCK: c_int = -4;
    /// The connection or stream is closed.
    ZQUIC_ERR_CLOSED: c_int = -5;
    /// The call does not fit the object's state.
    ZQUIC_ERR_STATE: c_int = -6;
    /// A blocking call made on the loop thread.
    ZQUIC_ERR_LOOP_THREAD: c_int = -7;
    /// Host name could not be resolved.
    ZQUIC_ERR_RESOLVE: c_int = -8;
    /// Socket, bind or send failed.
    ZQUIC_ERR_SOCKET: c_int = -9;
    /// TLS set-up or handshake failure.
    ZQUIC_ERR_TLS: c_int = -10;
    /// The peer's certificate was rejected.
    ZQUIC_ERR_CERT_VERIFY: c_int = -11;
    /// QUIC handshake failed or timed out.
    ZQUIC_ERR_HANDSHAKE: c_int = -12;
    /// The peer violated QUIC or HTTP/3.
    ZQUIC_ERR_PROTOCOL: c_int = -13;
    /// The peer reset the stream.
    ZQUIC_ERR_STREAM_RESET: c_int = -14;
    /// The connection went idle and was closed.
    ZQUIC_ERR_IDLE_TIMEOUT: c_int = -15;
    /// The peer closed the connection with an error.
    ZQUIC_ERR_PEER_CLOSED: c_int = -16;
    /// A configured limit was hit.
    ZQUIC_ERR_LIMIT: c_int = -17;
    /// File read/write failure.
    ZQUIC_ERR_IO: c_int = -18;
    /// Not found.
    ZQUIC_ERR_NOT_FOUND: c_int = -19;
    /// A bug in zquic or a library below it.
    ZQUIC_ERR_INTERNAL: c_int = -20;
    /// ZCrypto: signature does not verify.
    ZQUIC_ERR_BAD_SIGNATURE: c_int = -21;
    /// ZCrypto: malformed key.
    ZQUIC_ERR_INVALID_KEY: c_int = -22;
    /// Algorithm, option or version not supported.
    ZQUIC_ERR_UNSUPPORTED: c_int = -23;
    /// Cancelled.
    ZQUIC_ERR_CANCELLED: c_int = -24;
    /// 0-RTT refused by the server.
    ZQUIC_ERR_EARLY_DATA_REJECTED: c_int = -25;

    /// CUBIC congestion control.
    ZQUIC_CC_CUBIC: c_int = 0;
    /// BBR congestion control.
    ZQUIC_CC_BBR: c_int = 1;
    /// Reno congestion control.
    ZQUIC_CC_RENO: c_int = 2;

    /// Bidirectional stream.
    ZQUIC_STREAM_BIDI: c_int = 0;
    /// Unidirectional stream.
    ZQUIC_STREAM_UNI: c_int = 1;

    /// Connection state: handshaking.
    ZQUIC_STATE_CONNECTING: c_int = 0;
    /// Connection state: up.
    ZQUIC_STATE_CONNECTED: c_int = 1;
    /// Connection state: closed.
    ZQUIC_STATE_CLOSED: c_int = 2;

    /// No early data was attempted.
    ZQUIC_EARLY_DATA_NONE: c_int = 0;
    /// Early data accepted.
    ZQUIC_EARLY_DATA_ACCEPTED: c_int = 1;
    /// Early data rejected.
    ZQUIC_EARLY_DATA_REJECTED: c_int = 2;

    /// Handshake complete.
    ZQUIC_EVENT_CONNECTED: c_int = 1;
    /// Closed cleanly.
    ZQUIC_EVENT_DISCONNECTED: c_int = 2;
    /// Closed on an error; also a failed async connect.
    ZQUIC_EVENT_ERROR: c_int = 3;
    /// A peer-opened stream can be accepted.
    ZQUIC_EVENT_STREAM_INCOMING: c_int = 4;
    /// Data, FIN or reset to read on a stream.
    ZQUIC_EVENT_STREAM_READABLE: c_int = 5;
    /// Send buffer space after ZQUIC_ERR_WOULD_BLOCK.
    ZQUIC_EVENT_STREAM_WRITABLE: c_int = 6;
    /// The peer allows more streams.
    ZQUIC_EVENT_STREAMS_AVAILABLE: c_int = 7;
    /// A server has a connection to accept.
    ZQUIC_EVENT_ACCEPT_READY: c_int = 8;

    /// Ed25519 keys.
    ZQUIC_KEY_ED25519: c_int = 1;
    /// secp256k1 keys.
    ZQUIC_KEY_SECP256K1: c_int = 2;
    /// X25519 keys.
    ZQUIC_KEY_X25519: c_int = 3;

    /// BLAKE3.
    ZQUIC_HASH_BLAKE3: c_int = 1;
    /// SHA-256.
    ZQUIC_HASH_SHA256: c_int = 2;
    /// SHA3-256.
    ZQUIC_HASH_SHA3_256: c_int = 3;
    /// BLAKE2b-256.
    ZQUIC_HASH_BLAKE2B_256: c_int = 4;
    /// Ethereum's Keccak-256.
    ZQUIC_HASH_KECCAK256: c_int = 5;
    /// SHA-512.
    ZQUIC_HASH_SHA512: c_int = 6;

    /// 64-byte r||s.
    ZQUIC_SIG_COMPACT: c_int = 1;
    /// ASN.1 DER.
    ZQUIC_SIG_DER: c_int = 2;
    /// 65-byte r||s||v.
    ZQUIC_SIG_RECOVERABLE: c_int = 3;

    /// Secret key length.
    ZQUIC_CRYPTO_SECRET_KEY_LEN: usize = 32;
    /// Ed25519 public key length.
    ZQUIC_ED25519_PUBLIC_KEY_LEN: usize = 32;
    /// Ed25519 signature length.
    ZQUIC_ED25519_SIGNATURE_LEN: usize = 64;
    /// Compressed secp256k1 public key length.
    ZQUIC_SECP256K1_PUBLIC_KEY_LEN: usize = 33;
    /// Uncompressed secp256k1 public key length.
    ZQUIC_SECP256K1_UNCOMPRESSED_PUBLIC_KEY_LEN: usize = 65;
    /// Compact secp256k1 signature length.
    ZQUIC_SECP256K1_SIGNATURE_LEN: usize = 64;
    /// Longest DER secp256k1 signature.
    ZQUIC_SECP256K1_DER_SIGNATURE_MAX_LEN: usize = 72;
    /// Recoverable secp256k1 signature length.
    ZQUIC_SECP256K1_RECOVERABLE_SIGNATURE_LEN: usize = 65;
    /// X25519 key length.
    ZQUIC_X25519_KEY_LEN: usize = 32;
    /// Room for any public key.
    ZQUIC_CRYPTO_PUBLIC_KEY_MAX_LEN: usize = 65;
    /// Room for any signature.
    ZQUIC_CRYPTO_SIGNATURE_MAX_LEN: usize = 72;
    /// Room for any default-length digest.
    ZQUIC_HASH_MAX_LEN: usize = 64;
    /// Ethereum address length.
    ZQUIC_ETH_ADDRESS_LEN: usize = 20;
    /// EIP-55 address text with NUL.
    ZQUIC_ETH_ADDRESS_TEXT_LEN: usize = 43;

    /// gRPC OK.
    ZQUIC_GRPC_OK: c_int = 0;
    /// gRPC CANCELLED.
    ZQUIC_GRPC_CANCELLED: c_int = 1;
    /// gRPC UNKNOWN.
    ZQUIC_GRPC_UNKNOWN: c_int = 2;
    /// gRPC INVALID_ARGUMENT.
    ZQUIC_GRPC_INVALID_ARGUMENT: c_int = 3;
    /// gRPC DEADLINE_EXCEEDED.
    ZQUIC_GRPC_DEADLINE_EXCEEDED: c_int = 4;
    /// gRPC NOT_FOUND.
    ZQUIC_GRPC_NOT_FOUND: c_int = 5;
    /// gRPC ALREADY_EXISTS.
    ZQUIC_GRPC_ALREADY_EXISTS: c_int = 6;
    /// gRPC PERMISSION_DENIED.
    ZQUIC_GRPC_PERMISSION_DENIED: c_int = 7;
    /// gRPC RESOURCE_EXHAUSTED.
    ZQUIC_GRPC_RESOURCE_EXHAUSTED: c_int = 8;
    /// gRPC FAILED_PRECONDITION.
    ZQUIC_GRPC_FAILED_PRECONDITION: c_int = 9;
    /// gRPC ABORTED.
    ZQUIC_GRPC_ABORTED: c_int = 10;
    /// gRPC OUT_OF_RANGE.
    ZQUIC_GRPC_OUT_OF_RANGE: c_int = 11;
    /// gRPC UNIMPLEMENTED.
    ZQUIC_GRPC_UNIMPLEMENTED: c_int = 12;
    /// gRPC INTERNAL.
    ZQUIC_GRPC_INTERNAL: c_int = 13;
    /// gRPC UNAVAILABLE.
    ZQUIC_GRPC_UNAVAILABLE: c_int = 14;
    /// gRPC DATA_LOSS.
    ZQUIC_GRPC_DATA_LOSS: c_int = 15;
    /// gRPC UNAUTHENTICATED.
    ZQUIC_GRPC_UNAUTHENTICATED: c_int = 16;
    /// Unary method: one request message, then on_call.
    ZQUIC_GRPC_METHOD_UNARY: c_int = 0;
    /// Streaming method: on_call at once, messages through on_message.
    ZQUIC_GRPC_METHOD_STREAMING: c_int = 1;

    /// DNS A.
    ZQUIC_DNS_A: c_int = 1;
    /// DNS NS.
    ZQUIC_DNS_NS: c_int = 2;
    /// DNS CNAME.
    ZQUIC_DNS_CNAME: c_int = 5;
    /// DNS SOA.
    ZQUIC_DNS_SOA: c_int = 6;
    /// DNS MX.
    ZQUIC_DNS_MX: c_int = 15;
    /// DNS TXT.
    ZQUIC_DNS_TXT: c_int = 16;
    /// DNS AAAA.
    ZQUIC_DNS_AAAA: c_int = 28;
    /// Client-side kind: ENS address of a .eth name.
    ZQUIC_DNS_ENS: c_int = 65001;
    /// Client-side kind: ZNS owner of a .zns/.ghost name.
    ZQUIC_DNS_ZNS: c_int = 65002;
    /// DNS rcode NOERROR.
    ZQUIC_DNS_NOERROR: c_int = 0;
    /// DNS rcode FORMERR.
    ZQUIC_DNS_FORMERR: c_int = 1;
    /// DNS rcode SERVFAIL.
    ZQUIC_DNS_SERVFAIL: c_int = 2;
    /// DNS rcode NXDOMAIN.
    ZQUIC_DNS_NXDOMAIN: c_int = 3;
    /// DNS rcode NOTIMP.
    ZQUIC_DNS_NOTIMP: c_int = 4;
    /// DNS rcode REFUSED.
    ZQUIC_DNS_REFUSED: c_int = 5;

    /// Wraith balancing: round robin.
    ZQUIC_LB_ROUND_ROBIN: c_int = 0;
    /// Wraith balancing: fewest requests in flight.
    ZQUIC_LB_LEAST_CONNECTIONS: c_int = 1;
    /// Wraith balancing: smooth weighted round robin.
    ZQUIC_LB_WEIGHTED: c_int = 2;
    /// Wraith balancing: consistent hashing of the client address.
    ZQUIC_LB_IP_HASH: c_int = 3;
    /// Wraith balancing: power of two random choices.
    ZQUIC_LB_RANDOM: c_int = 4;
    /// Wraith backend spoken to over HTTP/3.
    ZQUIC_PROXY_BACKEND_H3: c_int = 0;
    /// Wraith backend spoken to over HTTP/1.1.
    ZQUIC_PROXY_BACKEND_HTTP1: c_int = 1;
}

/// "0.1.0", the header's `ZQUIC_VERSION_STRING`.
pub const ZQUIC_VERSION_STRING: &str = "0.1.0";

opaque! {
    /// A context: event loop thread, TLS defaults, every handle made from it.
    zquic_context;
    /// A listening server.
    zquic_server;
    /// A QUIC connection.
    zquic_connection;
    /// A QUIC stream.
    zquic_stream;
    /// A client HTTP/3 request.
    zquic_h3_request;
    /// A server HTTP/3 request/response exchange.
    zquic_h3_exchange;
    /// A streaming hash state.
    zquic_crypto_hash_state;
    /// A client streaming gRPC call.
    zquic_grpc_stream;
    /// A gRPC channel.
    zquic_grpc_channel;
    /// A gRPC service.
    zquic_grpc_server;
    /// One incoming gRPC call.
    zquic_grpc_server_call;
    /// A DoQ resolver.
    zquic_dns_server;
    /// A DoQ client for one server (connection reuse, 0-RTT resumption).
    zquic_dns_client;
    /// A Wraith HTTP/3 reverse proxy.
    zquic_proxy;
}

/// `zquic_config`: context defaults (`zquic_config_init`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct zquic_config {
    pub struct_size: usize,
    pub port: u16,
    pub max_connections: u32,
    pub connection_timeout_ms: u32,
    pub enable_ipv6: c_int,
    pub tls_verify: c_int,
    pub cert_file: *const c_char,
    pub key_file: *const c_char,
    pub ca_file: *const c_char,
    pub alpn: *const c_char,
    pub idle_timeout_ms: u32,
    pub max_streams_bidi: u32,
    pub max_streams_uni: u32,
    pub insecure_skip_verify_DANGEROUS: c_int,
    pub bind_address: *const c_char,
    pub keep_alive_ms: u32,
    pub cc_algorithm: c_int,
    pub qlog_dir: *const c_char,
    pub detailed_stats: c_int,
    pub event_queue: c_int,
}

/// `zquic_server_config` (`zquic_server_config_init`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct zquic_server_config {
    pub struct_size: usize,
    pub listen: *const c_char,
    pub cert_file: *const c_char,
    pub key_file: *const c_char,
    pub alpn: *const c_char,
    pub h3: *const zquic_h3_handler_config,
    pub retry: c_int,
    pub enable_0rtt: c_int,
    pub quic_versions: *const c_char,
    pub max_streams_bidi: u32,
    pub workers: u32,
    // ---- fields added in 0.3 ----
    pub sni_cert_files: *const *const c_char,
    pub sni_key_files: *const *const c_char,
    pub n_sni_certs: usize,
}

/// `zquic_connect_options` (`zquic_connect_options_init`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct zquic_connect_options {
    pub struct_size: usize,
    pub alpn: *const c_char,
    pub sni: *const c_char,
    pub ca_file: *const c_char,
    pub timeout_ms: c_int,
    pub insecure_skip_verify_DANGEROUS: c_int,
    pub session: *const u8,
    pub session_len: usize,
    pub enable_0rtt: c_int,
    pub quic_version: u32,
    pub tls_ciphers: *const c_char,
    pub key_update_bytes: u64,
}

/// One HTTP/3 header field.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct zquic_h3_header {
    pub name: *const c_char,
    pub value: *const c_char,
}

/// Body producer of `zquic_h3_respond`.
pub type zquic_h3_body_source = Option<
    unsafe extern "C" fn(
        body_user: *mut c_void,
        buf: *mut u8,
        cap: usize,
        len: *mut usize,
        eof: *mut c_int,
    ) -> c_int,
>;
/// Takes response body bytes on the loop thread; see `zquic_h3_response_set_sink`.
pub type zquic_h3_body_sink =
    Option<unsafe extern "C" fn(user: *mut c_void, data: *const u8, len: usize) -> c_int>;

/// HTTP/3 server callbacks (`zquic_h3_handler_config_init`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct zquic_h3_handler_config {
    pub struct_size: usize,
    pub on_request: Option<unsafe extern "C" fn(ex: *mut zquic_h3_exchange, user: *mut c_void)>,
    pub on_body: Option<
        unsafe extern "C" fn(ex: *mut zquic_h3_exchange, data: *const u8, len: usize, user: *mut c_void),
    >,
    pub on_request_end: Option<unsafe extern "C" fn(ex: *mut zquic_h3_exchange, user: *mut c_void)>,
    pub on_close: Option<unsafe extern "C" fn(ex: *mut zquic_h3_exchange, user: *mut c_void)>,
    pub user: *mut c_void,
    pub server_name: *const c_char,
}

/// Connection facts (`zquic_get_connection_info`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct zquic_connection_info {
    pub struct_size: usize,
    pub remote_address: [c_char; 64],
    pub local_address: [c_char; 64],
    pub connection_id: [u8; 20],
    pub connection_id_len: usize,
    pub state: c_int,
    pub rtt_us: u64,
    pub min_rtt_us: u64,
    pub rtt_var_us: u64,
    pub cwnd: u64,
    pub bytes_in_flight: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub packets_sent: u64,
    pub packets_received: u64,
    pub packets_lost: u64,
    pub quic_version: u32,
    pub alpn: [c_char; 32],
    pub cipher: [c_char; 48],
    pub resumed: c_int,
    pub early_data: c_int,
    pub retry: c_int,
    pub key_updates: u64,
    pub path_changes: u64,
    pub close_code: c_int,
}

/// A queued readiness event (`zquic_poll_events`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct zquic_event {
    pub type_: c_int,
    pub code: c_int,
    pub server: *mut zquic_server,
    pub conn: *mut zquic_connection,
    pub stream: *mut zquic_stream,
    pub user_data: *mut c_void,
}

/// Per-connection event callback.
pub type zquic_connection_callback =
    Option<unsafe extern "C" fn(conn: *mut zquic_connection, event_type: c_int, user: *mut c_void)>;

/// One gRPC metadata entry.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct zquic_grpc_metadata {
    pub key: *const c_char,
    pub value: *const u8,
    pub value_len: usize,
}

/// gRPC call options (`zquic_grpc_call_options_init`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct zquic_grpc_call_options {
    pub struct_size: usize,
    pub timeout_ms: c_int,
    pub metadata: *const zquic_grpc_metadata,
    pub n_metadata: usize,
    pub authority: *const c_char,
    pub max_receive_message: u32,
    pub compress: c_int,
}

/// The outcome of a gRPC call; release with `zquic_grpc_response_free`.
#[repr(C)]
pub struct zquic_grpc_response {
    pub data: *mut u8,
    pub len: usize,
    pub status: c_int,
    pub error: [c_char; 256],
    pub http_status: c_int,
}

/// Completion of `zquic_grpc_call_async` (the callee owns `resp`).
pub type zquic_grpc_callback =
    Option<unsafe extern "C" fn(resp: *mut zquic_grpc_response, user: *mut c_void)>;

/// gRPC server method handler.
/// `zquic_dns_callback`: the end of an asynchronous DNS query, on the loop thread.
pub type zquic_dns_callback =
    Option<unsafe extern "C" fn(result: c_int, resp: *mut zquic_dns_response, user: *mut c_void)>;
pub type zquic_grpc_handler = Option<
    unsafe extern "C" fn(call: *mut zquic_grpc_server_call, request: *const u8, len: usize, user: *mut c_void),
>;

/// One registered gRPC method (`zquic_grpc_method_init`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct zquic_grpc_method {
    pub struct_size: usize,
    pub kind: c_int,
    pub on_call: zquic_grpc_handler,
    pub on_message: Option<
        unsafe extern "C" fn(call: *mut zquic_grpc_server_call, msg: *const u8, len: usize, user: *mut c_void),
    >,
    pub on_half_close: Option<unsafe extern "C" fn(call: *mut zquic_grpc_server_call, user: *mut c_void)>,
    pub on_cancel: Option<unsafe extern "C" fn(call: *mut zquic_grpc_server_call, user: *mut c_void)>,
    pub user: *mut c_void,
}

/// gRPC service settings (`zquic_grpc_server_config_init`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct zquic_grpc_server_config {
    pub struct_size: usize,
    pub handler: zquic_grpc_handler,
    pub user: *mut c_void,
    pub max_receive_message: u32,
    pub health: c_int,
    pub fallback: *const zquic_h3_handler_config,
    pub compress: c_int,
}

/// One DNS resource record, owned by its response.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct zquic_dns_record {
    pub name: *const c_char,
    pub type_: u16,
    pub rr_class: u16,
    pub ttl: u32,
    pub value: *const c_char,
    pub rdata: *const u8,
    pub rdata_len: usize,
}

/// A DNS query's outcome; release with `zquic_dns_response_free`.
#[repr(C)]
pub struct zquic_dns_response {
    pub answer: [c_char; 512],
    pub len: usize,
    pub query_type: c_int,
    pub rcode: c_int,
    pub ttl: u32,
    pub records: *const zquic_dns_record,
    pub n_records: usize,
    pub authoritative: c_int,
    pub truncated: c_int,
    pub ede_code: c_int,
    pub ede_text: [c_char; 128],
}

/// DNS query options (`zquic_dns_query_options_init`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct zquic_dns_query_options {
    pub struct_size: usize,
    pub timeout_ms: c_int,
    pub dnssec_ok: c_int,
    pub padding: c_int,
}

/// DoQ resolver settings (`zquic_dns_config_init`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct zquic_dns_config {
    pub struct_size: usize,
    pub listen: *const c_char,
    pub cert_file: *const c_char,
    pub key_file: *const c_char,
    pub zone_files: *const *const c_char,
    pub n_zone_files: usize,
    pub zns_registry: *const c_char,
    pub cache_max_bytes: usize,
    pub enable_0rtt: c_int,
    pub retry: c_int,
    pub no_fin_timeout_ms: u32,
    pub upstreams: *const *const c_char,
    pub n_upstreams: usize,
    pub upstream_timeout_ms: u32,
    pub eth_rpc_url: *const c_char,
    pub ens_registry: *const c_char,
    pub eth_timeout_ms: u32,
    pub upstream_ca_file: *const c_char,
    // ZNS through GhostBridge (docs/ZNS.md)
    pub zns_ghostbridge: *const c_char,
    pub zns_ghostbridge_ca_file: *const c_char,
    pub zns_network: *const c_char,
    pub zns_ghostbridge_timeout_ms: u32,
}

/// DoQ resolver counters (`zquic_dns_server_stats`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct zquic_dns_stats {
    pub struct_size: usize,
    pub queries: u64,
    pub answers: u64,
    pub cache_hits: u64,
    pub cache_misses: u64,
    pub zone_answers: u64,
    pub zns_answers: u64,
    pub nxdomain: u64,
    pub refused: u64,
    pub servfail: u64,
    pub formerr: u64,
    pub protocol_errors: u64,
    pub cancelled: u64,
    pub zns_entries: u64,
    pub zns_rejected: u64,
    pub forwarded: u64,
    pub upstream_failures: u64,
    pub upstream_tcp: u64,
    pub ens_lookups: u64,
    pub ens_failures: u64,
    pub zns_bridge_lookups: u64,
    pub zns_bridge_answers: u64,
    pub zns_bridge_failures: u64,
    pub zns_bridge_rejected: u64,
}

/// Wraith proxy settings (`zquic_proxy_config_init`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct zquic_proxy_config {
    pub struct_size: usize,
    pub config_file: *const c_char,
    pub listen: *const c_char,
    pub cert_file: *const c_char,
    pub key_file: *const c_char,
    pub backend_address: *const c_char,
    pub lb_mode: c_int,
    pub health_check_interval_s: u32,
    pub timeout_ms: u32,
    pub metrics_listen: *const c_char,
    pub access_log: *const c_char,
    pub backend_protocol: c_int,
    pub backend_ca_file: *const c_char,
}

/// One Wraith backend (`zquic_proxy_backend_init`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct zquic_proxy_backend {
    pub struct_size: usize,
    pub pool: *const c_char,
    pub address: *const c_char,
    pub protocol: c_int,
    pub weight: c_uint,
    pub sni: *const c_char,
    pub ca_file: *const c_char,
    pub insecure_skip_verify_DANGEROUS: c_int,
}

/// Wraith proxy counters (`zquic_proxy_stats`); the caller sets `struct_size`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct zquic_proxy_counters {
    pub struct_size: usize,
    pub requests: u64,
    pub responses: [u64; 6],
    pub rate_limited: u64,
    pub too_large: u64,
    pub bad_requests: u64,
    pub retries: u64,
    pub upstream_timeouts: u64,
    pub reloads: u64,
    pub reload_failures: u64,
    pub pools: u32,
    pub backends: u32,
    pub backends_healthy: u32,
    pub in_flight: u32,
}

/// Facts of one Wraith backend (`zquic_proxy_backend_stats`); the caller sets `struct_size`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct zquic_proxy_backend_counters {
    pub struct_size: usize,
    pub pool: [c_char; 128],
    pub address: [c_char; 256],
    pub protocol: c_int,
    pub healthy: c_int,
    pub in_flight: u32,
    pub open_connections: u32,
    pub requests: u64,
    pub errors: u64,
    pub responses_5xx: u64,
}

extern "C" {
    // ---- version and errors ----
    pub fn zquic_version() -> *const c_char;
    pub fn zquic_strerror(code: c_int) -> *const c_char;
    pub fn zquic_last_error() -> *const c_char;

    // ---- context ----
    pub fn zquic_config_init(cfg: *mut zquic_config);
    pub fn zquic_init(cfg: *const zquic_config, out: *mut *mut zquic_context) -> c_int;
    pub fn zquic_destroy(ctx: *mut zquic_context);

    // ---- servers ----
    pub fn zquic_server_config_init(cfg: *mut zquic_server_config);
    pub fn zquic_create_server(
        ctx: *mut zquic_context,
        cfg: *const zquic_server_config,
        out: *mut *mut zquic_server,
    ) -> c_int;
    pub fn zquic_server_port(server: *const zquic_server) -> c_int;
    pub fn zquic_start_server(server: *mut zquic_server) -> c_int;
    pub fn zquic_stop_server(server: *mut zquic_server) -> c_int;
    pub fn zquic_server_accept(
        server: *mut zquic_server,
        timeout_ms: c_int,
        out: *mut *mut zquic_connection,
    ) -> c_int;
    pub fn zquic_server_shutdown(server: *mut zquic_server, timeout_ms: c_int) -> c_int;
    pub fn zquic_server_connection_count(server: *const zquic_server) -> c_int;
    pub fn zquic_server_free(server: *mut zquic_server);

    // ---- client connections ----
    pub fn zquic_connect_options_init(opts: *mut zquic_connect_options);
    pub fn zquic_create_connection(
        ctx: *mut zquic_context,
        address: *const c_char,
        out: *mut *mut zquic_connection,
    ) -> c_int;
    pub fn zquic_create_connection_ex(
        ctx: *mut zquic_context,
        address: *const c_char,
        opts: *const zquic_connect_options,
        out: *mut *mut zquic_connection,
    ) -> c_int;
    pub fn zquic_close_connection(conn: *mut zquic_connection);
    pub fn zquic_connection_alpn(conn: *const zquic_connection) -> *const c_char;

    // ---- streams ----
    pub fn zquic_stream_open(
        conn: *mut zquic_connection,
        type_: c_int,
        timeout_ms: c_int,
        out: *mut *mut zquic_stream,
    ) -> c_int;
    pub fn zquic_create_stream(
        conn: *mut zquic_connection,
        type_: c_int,
        out: *mut *mut zquic_stream,
    ) -> c_int;
    pub fn zquic_stream_accept(
        conn: *mut zquic_connection,
        timeout_ms: c_int,
        out: *mut *mut zquic_stream,
    ) -> c_int;
    pub fn zquic_stream_id(stream: *const zquic_stream) -> i64;
    pub fn zquic_stream_send(
        stream: *mut zquic_stream,
        data: *const c_void,
        len: usize,
        fin: c_int,
        timeout_ms: c_int,
        sent: *mut usize,
    ) -> c_int;
    pub fn zquic_stream_receive(
        stream: *mut zquic_stream,
        buf: *mut c_void,
        cap: usize,
        timeout_ms: c_int,
        received: *mut usize,
    ) -> c_int;
    pub fn zquic_close_stream(stream: *mut zquic_stream);

    // ---- HTTP/3 client ----
    pub fn zquic_h3_request_start(
        conn: *mut zquic_connection,
        method: *const c_char,
        path: *const c_char,
        authority: *const c_char,
        extra: *const zquic_h3_header,
        n_extra: usize,
        end_stream: c_int,
        out: *mut *mut zquic_h3_request,
    ) -> c_int;
    pub fn zquic_h3_request_send(
        req: *mut zquic_h3_request,
        data: *const c_void,
        len: usize,
        fin: c_int,
        timeout_ms: c_int,
    ) -> c_int;
    pub fn zquic_h3_response_wait(req: *mut zquic_h3_request, timeout_ms: c_int, status: *mut c_int) -> c_int;
    pub fn zquic_h3_response_header(
        req: *const zquic_h3_request,
        index: usize,
        name: *mut *const c_char,
        value: *mut *const c_char,
    ) -> c_int;
    pub fn zquic_h3_response_header_get(req: *const zquic_h3_request, name: *const c_char) -> *const c_char;
    pub fn zquic_h3_response_read(
        req: *mut zquic_h3_request,
        buf: *mut c_void,
        cap: usize,
        timeout_ms: c_int,
        nread: *mut usize,
    ) -> c_int;
    pub fn zquic_h3_response_set_sink(
        req: *mut zquic_h3_request,
        sink: zquic_h3_body_sink,
        user: *mut c_void,
    ) -> c_int;
    pub fn zquic_h3_response_trailer(
        req: *const zquic_h3_request,
        index: usize,
        name: *mut *const c_char,
        value: *mut *const c_char,
    ) -> c_int;
    pub fn zquic_h3_request_free(req: *mut zquic_h3_request);

    // ---- HTTP/3 server ----
    pub fn zquic_h3_handler_config_init(cfg: *mut zquic_h3_handler_config);
    pub fn zquic_h3_exchange_method(ex: *const zquic_h3_exchange) -> *const c_char;
    pub fn zquic_h3_exchange_path(ex: *const zquic_h3_exchange) -> *const c_char;
    pub fn zquic_h3_exchange_authority(ex: *const zquic_h3_exchange) -> *const c_char;
    pub fn zquic_h3_exchange_header_get(ex: *const zquic_h3_exchange, name: *const c_char) -> *const c_char;
    pub fn zquic_h3_exchange_header(
        ex: *const zquic_h3_exchange,
        index: usize,
        name: *mut *const c_char,
        value: *mut *const c_char,
    ) -> c_int;
    pub fn zquic_h3_exchange_peer(ex: *mut zquic_h3_exchange) -> *const c_char;
    pub fn zquic_h3_exchange_set_user(ex: *mut zquic_h3_exchange, user: *mut c_void);
    pub fn zquic_h3_exchange_get_user(ex: *const zquic_h3_exchange) -> *mut c_void;
    pub fn zquic_h3_respond(
        ex: *mut zquic_h3_exchange,
        status: c_int,
        headers: *const zquic_h3_header,
        n_headers: usize,
        source: zquic_h3_body_source,
        body_user: *mut c_void,
    ) -> c_int;
    pub fn zquic_h3_respond_bytes(
        ex: *mut zquic_h3_exchange,
        status: c_int,
        headers: *const zquic_h3_header,
        n_headers: usize,
        body: *const c_void,
        len: usize,
    ) -> c_int;
    pub fn zquic_h3_exchange_set_trailers(
        ex: *mut zquic_h3_exchange,
        trailers: *const zquic_h3_header,
        n: usize,
    ) -> c_int;
    pub fn zquic_h3_exchange_resume(ex: *mut zquic_h3_exchange) -> c_int;

    // ---- connection control and facts ----
    pub fn zquic_close_connection_ex(conn: *mut zquic_connection, app_error: u64, reason: *const c_char);
    pub fn zquic_stream_reset(stream: *mut zquic_stream, app_error: u64) -> c_int;
    pub fn zquic_stream_stop_sending(stream: *mut zquic_stream, app_error: u64) -> c_int;
    pub fn zquic_stream_reset_code(stream: *const zquic_stream) -> u64;
    pub fn zquic_send_data(conn: *mut zquic_connection, data: *const c_void, len: usize, timeout_ms: c_int) -> c_int;
    pub fn zquic_receive_data(
        conn: *mut zquic_connection,
        buf: *mut c_void,
        cap: usize,
        timeout_ms: c_int,
        received: *mut usize,
    ) -> c_int;
    pub fn zquic_connection_key_update(conn: *mut zquic_connection) -> c_int;
    pub fn zquic_get_connection_info(conn: *const zquic_connection, info: *mut zquic_connection_info) -> c_int;
    pub fn zquic_connection_session(conn: *mut zquic_connection, buf: *mut u8, cap: usize, len: *mut usize) -> c_int;

    // ---- events ----
    pub fn zquic_set_connection_callback(
        conn: *mut zquic_connection,
        cb: zquic_connection_callback,
        user: *mut c_void,
    ) -> c_int;
    pub fn zquic_connection_set_user_data(conn: *mut zquic_connection, user: *mut c_void);
    pub fn zquic_connection_get_user_data(conn: *const zquic_connection) -> *mut c_void;
    pub fn zquic_stream_set_user_data(stream: *mut zquic_stream, user: *mut c_void);
    pub fn zquic_stream_get_user_data(stream: *const zquic_stream) -> *mut c_void;
    pub fn zquic_server_set_user_data(server: *mut zquic_server, user: *mut c_void);
    pub fn zquic_event_fd(ctx: *mut zquic_context) -> c_int;
    pub fn zquic_poll_events(ctx: *mut zquic_context, events: *mut zquic_event, max: usize, count: *mut usize) -> c_int;
    pub fn zquic_connect_async(
        ctx: *mut zquic_context,
        address: *const c_char,
        opts: *const zquic_connect_options,
        out: *mut *mut zquic_connection,
    ) -> c_int;

    // ---- ZCrypto ----
    pub fn zquic_crypto_init() -> c_int;
    pub fn zquic_crypto_random(buf: *mut c_void, len: usize) -> c_int;
    pub fn zquic_crypto_memzero(buf: *mut c_void, len: usize);
    pub fn zquic_crypto_keygen(
        key_type: c_int,
        secret_key: *mut u8,
        secret_cap: usize,
        secret_len: *mut usize,
        public_key: *mut u8,
        public_cap: usize,
        public_len: *mut usize,
    ) -> c_int;
    pub fn zquic_crypto_keygen_from_seed(
        key_type: c_int,
        seed: *const u8,
        seed_len: usize,
        public_key: *mut u8,
        public_cap: usize,
        public_len: *mut usize,
    ) -> c_int;
    pub fn zquic_crypto_sign(
        key_type: c_int,
        secret_key: *const u8,
        secret_len: usize,
        msg: *const c_void,
        msg_len: usize,
        sig: *mut u8,
        sig_cap: usize,
        sig_len: *mut usize,
    ) -> c_int;
    pub fn zquic_crypto_verify(
        key_type: c_int,
        public_key: *const u8,
        public_len: usize,
        msg: *const c_void,
        msg_len: usize,
        sig: *const u8,
        sig_len: usize,
    ) -> c_int;
    pub fn zquic_crypto_x25519(
        secret_key: *const u8,
        secret_len: usize,
        peer_public: *const u8,
        peer_len: usize,
        shared: *mut u8,
        shared_cap: usize,
        shared_len: *mut usize,
    ) -> c_int;
    pub fn zquic_crypto_secp256k1_sign(
        secret_key: *const u8,
        secret_len: usize,
        digest: *const u8,
        digest_len: usize,
        format: c_int,
        sig: *mut u8,
        sig_cap: usize,
        sig_len: *mut usize,
    ) -> c_int;
    pub fn zquic_crypto_secp256k1_verify(
        public_key: *const u8,
        public_len: usize,
        digest: *const u8,
        digest_len: usize,
        sig: *const u8,
        sig_len: usize,
        format: c_int,
    ) -> c_int;
    pub fn zquic_crypto_secp256k1_recover(
        digest: *const u8,
        digest_len: usize,
        sig: *const u8,
        sig_len: usize,
        compressed: c_int,
        public_key: *mut u8,
        public_cap: usize,
        public_len: *mut usize,
    ) -> c_int;
    pub fn zquic_crypto_secp256k1_pubkey_convert(
        public_key: *const u8,
        public_len: usize,
        compressed: c_int,
        out: *mut u8,
        out_cap: usize,
        out_len: *mut usize,
    ) -> c_int;
    pub fn zquic_crypto_eth_address(
        public_key: *const u8,
        public_len: usize,
        address: *mut u8,
        address_cap: usize,
        text: *mut c_char,
        text_cap: usize,
    ) -> c_int;
    pub fn zquic_crypto_eth_address_text(
        address: *const u8,
        address_len: usize,
        text: *mut c_char,
        text_cap: usize,
    ) -> c_int;
    pub fn zquic_crypto_ens_namehash(name: *const c_char, node: *mut u8, node_cap: usize) -> c_int;
    pub fn zquic_crypto_hash_length(hash_type: c_int) -> usize;
    pub fn zquic_crypto_hash(
        hash_type: c_int,
        data: *const c_void,
        len: usize,
        out: *mut u8,
        out_cap: usize,
        out_len: *mut usize,
    ) -> c_int;
    pub fn zquic_crypto_hash_init(hash_type: c_int, out: *mut *mut zquic_crypto_hash_state) -> c_int;
    pub fn zquic_crypto_blake3_init_keyed(
        key: *const u8,
        key_len: usize,
        out: *mut *mut zquic_crypto_hash_state,
    ) -> c_int;
    pub fn zquic_crypto_blake3_init_derive_key(
        context: *const c_char,
        out: *mut *mut zquic_crypto_hash_state,
    ) -> c_int;
    pub fn zquic_crypto_hash_update(state: *mut zquic_crypto_hash_state, data: *const c_void, len: usize) -> c_int;
    pub fn zquic_crypto_hash_final(
        state: *mut zquic_crypto_hash_state,
        out: *mut u8,
        out_cap: usize,
        out_len: *mut usize,
    ) -> c_int;
    pub fn zquic_crypto_hash_final_xof(state: *mut zquic_crypto_hash_state, out: *mut u8, out_len: usize) -> c_int;
    pub fn zquic_crypto_hash_free(state: *mut zquic_crypto_hash_state);
    pub fn zquic_crypto_blake3(data: *const c_void, len: usize, out: *mut u8, out_len: usize) -> c_int;
    pub fn zquic_crypto_blake3_keyed(
        key: *const u8,
        key_len: usize,
        data: *const c_void,
        len: usize,
        out: *mut u8,
        out_len: usize,
    ) -> c_int;
    pub fn zquic_crypto_blake3_derive_key(
        context: *const c_char,
        material: *const c_void,
        material_len: usize,
        out: *mut u8,
        out_len: usize,
    ) -> c_int;
    pub fn zquic_crypto_blake3_path() -> *const c_char;
    pub fn zquic_crypto_hex_encode(data: *const u8, len: usize, text: *mut c_char, text_cap: usize) -> c_int;
    pub fn zquic_crypto_hex_decode(
        text: *const c_char,
        text_len: usize,
        out: *mut u8,
        out_cap: usize,
        out_len: *mut usize,
    ) -> c_int;

    // ---- GhostBridge client ----
    pub fn zquic_grpc_status_name(status: c_int) -> *const c_char;
    pub fn zquic_grpc_call_options_init(opts: *mut zquic_grpc_call_options);
    pub fn zquic_grpc_call(
        conn: *mut zquic_connection,
        method: *const c_char,
        request: *const c_void,
        len: usize,
        opts: *const zquic_grpc_call_options,
        out: *mut *mut zquic_grpc_response,
    ) -> c_int;
    pub fn zquic_grpc_call_async(
        conn: *mut zquic_connection,
        method: *const c_char,
        request: *const c_void,
        len: usize,
        opts: *const zquic_grpc_call_options,
        done: zquic_grpc_callback,
        user: *mut c_void,
    ) -> c_int;
    pub fn zquic_grpc_response_metadata(
        resp: *const zquic_grpc_response,
        index: usize,
        key: *mut *const c_char,
        value: *mut *const u8,
        value_len: *mut usize,
    ) -> c_int;
    pub fn zquic_grpc_response_metadata_get(
        resp: *const zquic_grpc_response,
        key: *const c_char,
        value: *mut *const u8,
        value_len: *mut usize,
    ) -> c_int;
    pub fn zquic_grpc_response_free(resp: *mut zquic_grpc_response);
    pub fn zquic_grpc_stream_start(
        conn: *mut zquic_connection,
        method: *const c_char,
        opts: *const zquic_grpc_call_options,
        out: *mut *mut zquic_grpc_stream,
    ) -> c_int;
    pub fn zquic_grpc_stream_send(call: *mut zquic_grpc_stream, msg: *const c_void, len: usize, timeout_ms: c_int) -> c_int;
    pub fn zquic_grpc_stream_close_send(call: *mut zquic_grpc_stream) -> c_int;
    pub fn zquic_grpc_stream_recv(
        call: *mut zquic_grpc_stream,
        timeout_ms: c_int,
        msg: *mut *const u8,
        len: *mut usize,
    ) -> c_int;
    pub fn zquic_grpc_stream_status(call: *const zquic_grpc_stream) -> *const zquic_grpc_response;
    pub fn zquic_grpc_stream_cancel(call: *mut zquic_grpc_stream) -> c_int;
    pub fn zquic_grpc_stream_free(call: *mut zquic_grpc_stream);
    pub fn zquic_grpc_channel_create(
        ctx: *mut zquic_context,
        target: *const c_char,
        opts: *const zquic_connect_options,
        out: *mut *mut zquic_grpc_channel,
    ) -> c_int;
    pub fn zquic_grpc_channel_call(
        ch: *mut zquic_grpc_channel,
        method: *const c_char,
        request: *const c_void,
        len: usize,
        opts: *const zquic_grpc_call_options,
        out: *mut *mut zquic_grpc_response,
    ) -> c_int;
    pub fn zquic_grpc_channel_call_async(
        ch: *mut zquic_grpc_channel,
        method: *const c_char,
        request: *const c_void,
        len: usize,
        opts: *const zquic_grpc_call_options,
        done: zquic_grpc_callback,
        user: *mut c_void,
    ) -> c_int;
    pub fn zquic_grpc_channel_stream_start(
        ch: *mut zquic_grpc_channel,
        method: *const c_char,
        opts: *const zquic_grpc_call_options,
        out: *mut *mut zquic_grpc_stream,
    ) -> c_int;
    pub fn zquic_grpc_channel_connects(ch: *const zquic_grpc_channel) -> c_uint;
    pub fn zquic_grpc_channel_free(ch: *mut zquic_grpc_channel);

    // ---- GhostBridge server ----
    pub fn zquic_grpc_method_init(method: *mut zquic_grpc_method);
    pub fn zquic_grpc_server_config_init(cfg: *mut zquic_grpc_server_config);
    pub fn zquic_grpc_server_create(
        ctx: *mut zquic_context,
        cfg: *const zquic_grpc_server_config,
        out: *mut *mut zquic_grpc_server,
    ) -> c_int;
    pub fn zquic_grpc_server_register(
        srv: *mut zquic_grpc_server,
        path: *const c_char,
        method: *const zquic_grpc_method,
    ) -> c_int;
    pub fn zquic_grpc_server_h3_handler(srv: *mut zquic_grpc_server) -> *const zquic_h3_handler_config;
    pub fn zquic_grpc_server_set_health(srv: *mut zquic_grpc_server, service: *const c_char, serving_status: c_int) -> c_int;
    pub fn zquic_grpc_serve(
        ctx: *mut zquic_context,
        handler: zquic_grpc_handler,
        user: *mut c_void,
        out: *mut *mut zquic_grpc_server,
    ) -> c_int;
    pub fn zquic_grpc_server_port(srv: *const zquic_grpc_server) -> c_int;
    pub fn zquic_grpc_server_free(srv: *mut zquic_grpc_server);
    pub fn zquic_grpc_server_call_method(call: *const zquic_grpc_server_call) -> *const c_char;
    pub fn zquic_grpc_server_call_peer(call: *mut zquic_grpc_server_call) -> *const c_char;
    pub fn zquic_grpc_server_call_metadata(
        call: *const zquic_grpc_server_call,
        key: *const c_char,
        value: *mut *const u8,
        value_len: *mut usize,
    ) -> c_int;
    pub fn zquic_grpc_server_call_time_left_ms(call: *const zquic_grpc_server_call) -> i64;
    pub fn zquic_grpc_server_call_cancelled(call: *const zquic_grpc_server_call) -> c_int;
    pub fn zquic_grpc_server_call_set_user(call: *mut zquic_grpc_server_call, user: *mut c_void);
    pub fn zquic_grpc_server_call_get_user(call: *const zquic_grpc_server_call) -> *mut c_void;
    pub fn zquic_grpc_server_call_send_metadata(
        call: *mut zquic_grpc_server_call,
        md: *const zquic_grpc_metadata,
        n: usize,
    ) -> c_int;
    pub fn zquic_grpc_server_call_send(
        call: *mut zquic_grpc_server_call,
        msg: *const c_void,
        len: usize,
        timeout_ms: c_int,
    ) -> c_int;
    pub fn zquic_grpc_server_call_finish(
        call: *mut zquic_grpc_server_call,
        status: c_int,
        message: *const c_char,
        trailers: *const zquic_grpc_metadata,
        n: usize,
    ) -> c_int;
    pub fn zquic_grpc_server_call_reply(call: *mut zquic_grpc_server_call, msg: *const c_void, len: usize) -> c_int;

    // ---- CNS/ZNS ----
    pub fn zquic_dns_query_options_init(opts: *mut zquic_dns_query_options);
    pub fn zquic_dns_query(
        conn: *mut zquic_connection,
        name: *const c_char,
        type_: c_int,
        out: *mut *mut zquic_dns_response,
    ) -> c_int;
    pub fn zquic_dns_query_ex(
        conn: *mut zquic_connection,
        name: *const c_char,
        type_: c_int,
        opts: *const zquic_dns_query_options,
        out: *mut *mut zquic_dns_response,
    ) -> c_int;
    pub fn zquic_dns_response_free(resp: *mut zquic_dns_response);
    pub fn zquic_dns_client_create(
        ctx: *mut zquic_context,
        server: *const c_char,
        opts: *const zquic_connect_options,
        out: *mut *mut zquic_dns_client,
    ) -> c_int;
    pub fn zquic_dns_client_query(
        client: *mut zquic_dns_client,
        name: *const c_char,
        query_type: c_int,
        opts: *const zquic_dns_query_options,
        out: *mut *mut zquic_dns_response,
    ) -> c_int;
    pub fn zquic_dns_query_async(
        conn: *mut zquic_connection,
        name: *const c_char,
        type_: c_int,
        opts: *const zquic_dns_query_options,
        cb: zquic_dns_callback,
        user: *mut c_void,
    ) -> c_int;
    pub fn zquic_dns_client_query_async(
        client: *mut zquic_dns_client,
        name: *const c_char,
        query_type: c_int,
        opts: *const zquic_dns_query_options,
        cb: zquic_dns_callback,
        user: *mut c_void,
    ) -> c_int;
    pub fn zquic_dns_client_connects(client: *const zquic_dns_client) -> c_uint;
    pub fn zquic_dns_client_early_connects(client: *const zquic_dns_client) -> c_uint;
    pub fn zquic_dns_client_free(client: *mut zquic_dns_client);
    pub fn zquic_dns_config_init(cfg: *mut zquic_dns_config);
    pub fn zquic_dns_serve(
        ctx: *mut zquic_context,
        cfg: *const zquic_dns_config,
        out: *mut *mut zquic_dns_server,
    ) -> c_int;
    pub fn zquic_dns_server_port(srv: *const zquic_dns_server) -> c_int;
    pub fn zquic_dns_server_reload(srv: *mut zquic_dns_server) -> c_int;
    pub fn zquic_dns_server_stats(srv: *mut zquic_dns_server, out: *mut zquic_dns_stats) -> c_int;
    pub fn zquic_dns_server_free(srv: *mut zquic_dns_server);

    // ---- Wraith (HTTP/3 reverse proxy) ----
    pub fn zquic_proxy_config_init(cfg: *mut zquic_proxy_config);
    pub fn zquic_proxy_config_check(config_file: *const c_char) -> c_int;
    pub fn zquic_proxy_create(
        ctx: *mut zquic_context,
        cfg: *const zquic_proxy_config,
        out: *mut *mut zquic_proxy,
    ) -> c_int;
    pub fn zquic_proxy_backend_init(backend: *mut zquic_proxy_backend);
    pub fn zquic_proxy_add_backend(proxy: *mut zquic_proxy, backend: *const zquic_proxy_backend) -> c_int;
    pub fn zquic_proxy_route(
        proxy: *mut zquic_proxy,
        host: *const c_char,
        path_prefix: *const c_char,
        pool: *const c_char,
    ) -> c_int;
    pub fn zquic_proxy_reload(proxy: *mut zquic_proxy) -> c_int;
    pub fn zquic_proxy_port(proxy: *const zquic_proxy, index: usize) -> c_int;
    pub fn zquic_proxy_metrics_port(proxy: *const zquic_proxy) -> c_int;
    pub fn zquic_proxy_stats(proxy: *mut zquic_proxy, out: *mut zquic_proxy_counters) -> c_int;
    pub fn zquic_proxy_backend_stats(
        proxy: *mut zquic_proxy,
        index: usize,
        out: *mut zquic_proxy_backend_counters,
    ) -> c_int;
    pub fn zquic_proxy_destroy(proxy: *mut zquic_proxy);
}
