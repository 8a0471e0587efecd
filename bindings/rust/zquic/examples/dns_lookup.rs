//! dns_lookup: one CNS/ZNS query over DNS-over-QUIC, e.g. a `.ghost` name on `zquic dns serve`
//! or `zquic node` (127.0.0.1:8853).
//!
//!   dns_lookup @HOST:PORT NAME [A|AAAA|TXT|MX|NS|CNAME|ZNS|ENS] --ca FILE
//!
//! Prints one line per answer record ("NAME TTL TYPE VALUE"), or the rcode; exit status 0 for
//! NOERROR, 1 otherwise, 2 for a usage error.
use std::process::exit;
use zquic::dns::{self, QueryType};
use zquic::{ConnectOptions, Context};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut server = None;
    let mut name = None;
    let mut qtype = QueryType::A;
    let mut ca = None;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--ca" {
            i += 1;
            ca = args.get(i).cloned();
        } else if let Some(s) = a.strip_prefix('@') {
            server = Some(s.to_string());
        } else if name.is_none() {
            name = Some(a.clone());
        } else {
            qtype = match a.to_ascii_uppercase().as_str() {
                "A" => QueryType::A,
                "AAAA" => QueryType::Aaaa,
                "TXT" => QueryType::Txt,
                "MX" => QueryType::Mx,
                "NS" => QueryType::Ns,
                "CNAME" => QueryType::Cname,
                "ZNS" => QueryType::Zns,
                "ENS" => QueryType::Ens,
                other => {
                    eprintln!("dns_lookup: unknown type {}", other);
                    exit(2)
                }
            };
        }
        i += 1;
    }
    let (server, name) = match (server, name) {
        (Some(s), Some(n)) => (s, n),
        _ => {
            eprintln!("usage: dns_lookup @HOST:PORT NAME [TYPE] --ca FILE");
            exit(2)
        }
    };
    let mut opts = ConnectOptions::new();
    if let Some(ca) = &ca {
        opts = opts.ca_file(ca);
    }
    let ctx = Context::new().unwrap_or_else(|e| {
        eprintln!("dns_lookup: {}", e);
        exit(1)
    });
    let conn = dns::connect(&ctx, &server, opts).unwrap_or_else(|e| {
        eprintln!("dns_lookup: connect to {}: {}", server, e);
        exit(1)
    });
    let resp = zquic::block_on(dns::query_async(&conn, &name, qtype)).unwrap_or_else(|e| {
        eprintln!("dns_lookup: {}", e);
        exit(1)
    });
    if resp.rcode != dns::NOERROR {
        let rcode = match resp.rcode {
            dns::NXDOMAIN => "NXDOMAIN".to_string(),
            dns::REFUSED => "REFUSED".to_string(),
            dns::SERVFAIL => "SERVFAIL".to_string(),
            n => format!("rcode {}", n),
        };
        eprintln!("dns_lookup: {}: {}", name, rcode);
        exit(1)
    }
    if matches!(qtype, QueryType::Zns | QueryType::Ens) {
        println!("{}", resp.answer);
    }
    for r in &resp.records {
        println!("{} {} {} {}", r.name, r.ttl, r.rtype, r.value);
    }
}
