//! Just enough protobuf for walletd.proto's GetBalance messages, by hand (std only):
//!   GetBalanceRequest  { string wallet_id = 1; }
//!   GetBalanceResponse { bool success = 1; repeated BalanceInfo balances = 2; string error_message = 3; }
//!   BalanceInfo        { string token_symbol = 1; string balance = 2; int32 decimals = 3; string token_address = 4; }
#![allow(dead_code)]

/// One row of a balance list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BalanceInfo {
    pub token_symbol: String,
    pub balance: String,
    pub decimals: i32,
    pub token_address: String,
}

/// GetBalanceResponse.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GetBalanceResponse {
    pub success: bool,
    pub balances: Vec<BalanceInfo>,
    pub error_message: String,
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, field: u32, data: &[u8]) {
    put_varint(out, (u64::from(field) << 3) | 2);
    put_varint(out, data.len() as u64);
    out.extend_from_slice(data);
}

fn put_string(out: &mut Vec<u8>, field: u32, s: &str) {
    if !s.is_empty() {
        put_bytes(out, field, s.as_bytes());
    }
}

/// GetBalanceRequest { wallet_id }.
pub fn encode_get_balance_request(wallet_id: &str) -> Vec<u8> {
    let mut out = Vec::new();
    put_string(&mut out, 1, wallet_id);
    out
}

pub fn encode_get_balance_response(r: &GetBalanceResponse) -> Vec<u8> {
    let mut out = Vec::new();
    if r.success {
        put_varint(&mut out, 1 << 3);
        put_varint(&mut out, 1);
    }
    for b in &r.balances {
        let mut m = Vec::new();
        put_string(&mut m, 1, &b.token_symbol);
        put_string(&mut m, 2, &b.balance);
        if b.decimals != 0 {
            put_varint(&mut m, 3 << 3);
            // int32: negative values are sign-extended to 64 bits.
            put_varint(&mut m, b.decimals as i64 as u64);
        }
        put_string(&mut m, 4, &b.token_address);
        put_bytes(&mut out, 2, &m);
    }
    put_string(&mut out, 3, &r.error_message);
    out
}

/// (field number, value) of each field of a message; unknown wire types are an error.
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

fn get_varint(data: &[u8], pos: &mut usize) -> Result<u64, String> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *data.get(*pos).ok_or("truncated varint")?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("varint too long".into())
}

fn fields(data: &[u8]) -> Result<Vec<(u64, Value<'_>)>, String> {
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < data.len() {
        let key = get_varint(data, &mut pos)?;
        let (field, wire) = (key >> 3, key & 7);
        if field == 0 {
            return Err("field number 0".into());
        }
        match wire {
            0 => out.push((field, Value::Varint(get_varint(data, &mut pos)?))),
            2 => {
                let len = get_varint(data, &mut pos)? as usize;
                let end = pos.checked_add(len).filter(|&e| e <= data.len()).ok_or("truncated field")?;
                out.push((field, Value::Bytes(&data[pos..end])));
                pos = end;
            }
            1 => pos += 8,
            5 => pos += 4,
            w => return Err(format!("wire type {}", w)),
        }
        if pos > data.len() {
            return Err("truncated field".into());
        }
    }
    Ok(out)
}

fn text(b: &[u8]) -> Result<String, String> {
    String::from_utf8(b.to_vec()).map_err(|_| "string is not UTF-8".to_string())
}

/// The wallet_id of a GetBalanceRequest.
pub fn decode_get_balance_request(data: &[u8]) -> Result<String, String> {
    let mut wallet = String::new();
    for (field, v) in fields(data)? {
        match (field, v) {
            (1, Value::Bytes(b)) => wallet = text(b)?,
            (1, _) => return Err("wallet_id is not a string".into()),
            _ => {}
        }
    }
    Ok(wallet)
}

pub fn decode_get_balance_response(data: &[u8]) -> Result<GetBalanceResponse, String> {
    let mut r = GetBalanceResponse::default();
    for (field, v) in fields(data)? {
        match (field, v) {
            (1, Value::Varint(x)) => r.success = x != 0,
            (2, Value::Bytes(m)) => {
                let mut b = BalanceInfo::default();
                for (f, v) in fields(m)? {
                    match (f, v) {
                        (1, Value::Bytes(s)) => b.token_symbol = text(s)?,
                        (2, Value::Bytes(s)) => b.balance = text(s)?,
                        (3, Value::Varint(x)) => b.decimals = x as i32,
                        (4, Value::Bytes(s)) => b.token_address = text(s)?,
                        _ => {}
                    }
                }
                r.balances.push(b);
            }
            (3, Value::Bytes(s)) => r.error_message = text(s)?,
            _ => {}
        }
    }
    Ok(r)
}
