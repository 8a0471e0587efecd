//! Drift test: fails when these declarations and include/zquic.h disagree.
//!
//! - every `#[repr(C)]` struct: size, alignment and the offset of each field, measured by a small
//!   C program compiled here with `cc` against the header, compared with `std::mem` in Rust;
//! - every `#define ZQUIC_*` constant: the same names on both sides, and the same values (printed
//!   by the C program);
//! - every `ZQUIC_API` function: the same names on both sides.
//!
//! The header is `../../../include/zquic.h` (this repository) or `$ZQUIC_INCLUDE_DIR/zquic.h`.
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use zquic_sys::*;

/// Offset of a field, stable Rust 1.63 (no `core::mem::offset_of!` there): the distance between a
/// struct's address and its field's, on uninitialised memory that is never read.
macro_rules! offset_of {
    ($ty:ty, $field:ident) => {{
        let slot = core::mem::MaybeUninit::<$ty>::uninit();
        let base = slot.as_ptr();
        // SAFETY: `addr_of!` computes the field's address without creating a reference or reading
        // the uninitialised memory; `base` points to a live, properly aligned allocation.
        let field = unsafe { core::ptr::addr_of!((*base).$field) };
        field as usize - base as usize
    }};
}

/// For each struct: Rust's facts as ("name.field" -> offset, "name sizeof" -> size, ...), and the
/// C statements that print the same keys.
macro_rules! layouts {
    ($($name:ident { $($field:ident),* $(,)? })*) => {{
        let mut rust = BTreeMap::new();
        let mut c = String::new();
        $(
            let name = stringify!($name);
            rust.insert(format!("{} sizeof", name), core::mem::size_of::<$name>() as i64);
            rust.insert(format!("{} alignof", name), core::mem::align_of::<$name>() as i64);
            c.push_str(&format!(
                "  printf(\"{n} sizeof %zu\\n\", sizeof({n}));\n  printf(\"{n} alignof %zu\\n\", _Alignof({n}));\n",
                n = name));
            $(
                // Rust field `type_` is C's `type` (a keyword in Rust).
                let cfield = stringify!($field).trim_end_matches('_');
                rust.insert(format!("{}.{}", name, cfield), offset_of!($name, $field) as i64);
                c.push_str(&format!(
                    "  printf(\"{n}.{f} %zu\\n\", offsetof({n}, {f}));\n", n = name, f = cfield));
            )*
        )*
        (rust, c)
    }};
}

fn header_dir() -> PathBuf {
    match std::env::var_os("ZQUIC_INCLUDE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../include"),
    }
}

fn header_text() -> String {
    let path = header_dir().join("zquic.h");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {}", path.display(), e))
}

/// Names of the header's value macros (not the include guard, the export macro or the string).
fn header_constants(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.trim_start().strip_prefix("#define ") {
            let mut parts = rest.split_whitespace();
            let name = parts.next().unwrap_or("");
            let has_value = parts.next().is_some();
            if name.starts_with("ZQUIC_")
                && has_value
                && !matches!(name, "ZQUIC_API" | "ZQUIC_VERSION_STRING")
            {
                names.push(name.to_string());
            }
        }
    }
    names
}

/// Names of the functions declared after `ZQUIC_API` (also across line breaks).
fn function_names(text: &str, marker: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (i, _) in text.match_indices(marker) {
        let rest = &text[i + marker.len()..];
        if let Some(open) = rest.find('(') {
            let before = &rest[..open];
            let start = before
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(0, |i| i + 1);
            let name = &before[start..];
            if name.starts_with("zquic_") {
                names.push(name.to_string());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

#[test]
fn functions_match_the_header() {
    let header = function_names(&header_text(), "ZQUIC_API ");
    let ours = function_names(include_str!("../src/lib.rs"), "pub fn ");
    let missing: Vec<_> = header.iter().filter(|n| !ours.contains(n)).collect();
    let extra: Vec<_> = ours.iter().filter(|n| !header.contains(n)).collect();
    assert!(header.len() > 100, "found only {} functions in the header", header.len());
    assert!(
        missing.is_empty() && extra.is_empty(),
        "zquic-sys drifted from zquic.h: missing {:?}, not in the header {:?}",
        missing,
        extra
    );
}

#[test]
fn layouts_and_constants_match_the_header() {
    let (rust, c_layout) = layouts! {
        zquic_config { struct_size, port, max_connections, connection_timeout_ms, enable_ipv6,
            tls_verify, cert_file, key_file, ca_file, alpn, idle_timeout_ms, max_streams_bidi,
            max_streams_uni, insecure_skip_verify_DANGEROUS, bind_address, keep_alive_ms,
            cc_algorithm, qlog_dir, detailed_stats, event_queue }
        zquic_server_config { struct_size, listen, cert_file, key_file, alpn, h3, retry,
            enable_0rtt, quic_versions, max_streams_bidi, workers, sni_cert_files, sni_key_files,
            n_sni_certs }
        zquic_connect_options { struct_size, alpn, sni, ca_file, timeout_ms,
            insecure_skip_verify_DANGEROUS, session, session_len, enable_0rtt, quic_version,
            tls_ciphers, key_update_bytes }
        zquic_h3_header { name, value }
        zquic_h3_handler_config { struct_size, on_request, on_body, on_request_end, on_close, user,
            server_name }
        zquic_connection_info { struct_size, remote_address, local_address, connection_id,
            connection_id_len, state, rtt_us, min_rtt_us, rtt_var_us, cwnd, bytes_in_flight,
            bytes_sent, bytes_received, packets_sent, packets_received, packets_lost, quic_version,
            alpn, cipher, resumed, early_data, retry, key_updates, path_changes, close_code }
        zquic_event { type_, code, server, conn, stream, user_data }
        zquic_grpc_metadata { key, value, value_len }
        zquic_grpc_call_options { struct_size, timeout_ms, metadata, n_metadata, authority,
            max_receive_message, compress }
        zquic_grpc_response { data, len, status, error, http_status }
        zquic_grpc_method { struct_size, kind, on_call, on_message, on_half_close, on_cancel, user }
        zquic_grpc_server_config { struct_size, handler, user, max_receive_message, health,
            fallback, compress }
        zquic_dns_record { name, type_, rr_class, ttl, value, rdata, rdata_len }
        zquic_dns_response { answer, len, query_type, rcode, ttl, records, n_records,
            authoritative, truncated, ede_code, ede_text }
        zquic_dns_query_options { struct_size, timeout_ms, dnssec_ok, padding }
        zquic_dns_config { struct_size, listen, cert_file, key_file, zone_files, n_zone_files,
            zns_registry, cache_max_bytes, enable_0rtt, retry, no_fin_timeout_ms, upstreams,
            n_upstreams, upstream_timeout_ms, eth_rpc_url, ens_registry, eth_timeout_ms,
            zns_ghostbridge, zns_ghostbridge_ca_file, zns_network, zns_ghostbridge_timeout_ms }
        zquic_dns_stats { struct_size, queries, answers, cache_hits, cache_misses, zone_answers,
            zns_answers, nxdomain, refused, servfail, formerr, protocol_errors, cancelled,
            zns_entries, zns_rejected, forwarded, upstream_failures, upstream_tcp, ens_lookups,
            ens_failures, zns_bridge_lookups, zns_bridge_answers, zns_bridge_failures,
            zns_bridge_rejected }
        zquic_proxy_config { struct_size, config_file, listen, cert_file, key_file,
            backend_address, lb_mode, health_check_interval_s, timeout_ms, metrics_listen,
            access_log, backend_protocol, backend_ca_file }
        zquic_proxy_backend { struct_size, pool, address, protocol, weight, sni, ca_file,
            insecure_skip_verify_DANGEROUS }
        zquic_proxy_counters { struct_size, requests, responses, rate_limited, too_large,
            bad_requests, retries, upstream_timeouts, reloads, reload_failures, pools, backends,
            backends_healthy, in_flight }
        zquic_proxy_backend_counters { struct_size, pool, address, protocol, healthy, in_flight,
            open_connections, requests, errors, responses_5xx }
    };

    // Constants: the same names on both sides, values printed by C below.
    let text = header_text();
    let header_names = header_constants(&text);
    let ours: BTreeMap<String, i64> =
        ALL_CONSTANTS.iter().map(|(n, v)| (n.to_string(), *v)).collect();
    let missing: Vec<_> = header_names.iter().filter(|n| !ours.contains_key(*n)).collect();
    let extra: Vec<_> = ours.keys().filter(|n| !header_names.contains(n)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "constants drifted: missing {:?}, not in the header {:?}",
        missing,
        extra
    );
    let mut c_consts = String::new();
    for name in &header_names {
        c_consts.push_str(&format!(
            "  printf(\"const {n} %lld\\n\", (long long)({n}));\n",
            n = name
        ));
    }
    assert_eq!(ZQUIC_VERSION_STRING, "0.1.0");
    assert!(text.contains(&format!("#define ZQUIC_VERSION_STRING \"{}\"", ZQUIC_VERSION_STRING)));

    let program = format!(
        "#include <stddef.h>\n#include <stdio.h>\n#include <zquic.h>\nint main(void) {{\n{}{}  return 0;\n}}\n",
        c_layout, c_consts
    );
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("drift");
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("layout.c");
    let exe = dir.join("layout");
    std::fs::write(&src, program).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let out = Command::new(&cc)
        .arg("-std=c11")
        .arg("-I")
        .arg(header_dir())
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {}", cc, e));
    assert!(
        out.status.success(),
        "compiling the layout program failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(&exe).output().expect("run the layout program");
    assert!(out.status.success());
    let mut c_facts = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let (key, value) = line.rsplit_once(' ').unwrap();
        c_facts.insert(key.to_string(), value.parse::<i64>().unwrap());
    }

    let mut diffs = Vec::new();
    for (key, value) in &rust {
        match c_facts.get(key) {
            Some(c) if c == value => {}
            Some(c) => diffs.push(format!("{}: C {} Rust {}", key, c, value)),
            None => diffs.push(format!("{}: missing from the C output", key)),
        }
    }
    for (name, value) in &ours {
        match c_facts.get(&format!("const {}", name)) {
            Some(c) if c == value => {}
            Some(c) => diffs.push(format!("{}: C {} Rust {}", name, c, value)),
            None => diffs.push(format!("{}: missing from the C output", name)),
        }
    }
    assert!(diffs.is_empty(), "zquic-sys drifted from zquic.h:\n  {}", diffs.join("\n  "));
    // 21 structs, checked field by field.
    assert!(rust.len() > 200, "only {} layout facts", rust.len());
}

#[test]
fn links_and_calls_the_library() {
    // SAFETY: zquic_version returns a pointer to a static NUL-terminated string.
    let v = unsafe { std::ffi::CStr::from_ptr(zquic_version()) };
    assert!(v.to_str().unwrap().starts_with("zquic 0."), "{:?}", v);
}
