//! ZCrypto: Ed25519 and secp256k1 signatures, X25519 key exchange, and hashes (BLAKE3, SHA-256,
//! SHA3-256, BLAKE2b-256, Keccak-256, SHA-512). No context needed; everything is thread-safe.
use std::io;
use std::os::raw::{c_int, c_void};
use std::ptr;

use crate::error::{check, Result};
use crate::util::cstring;
use zquic_sys as sys;

/// Key algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// Ed25519 signatures (RFC 8032): 32-byte public keys, 64-byte signatures.
    Ed25519,
    /// secp256k1 ECDSA over SHA-256: 33-byte compressed public keys, 64-byte signatures.
    Secp256k1,
    /// X25519 key exchange (cannot sign).
    X25519,
}

impl KeyType {
    fn code(self) -> c_int {
        match self {
            KeyType::Ed25519 => sys::ZQUIC_KEY_ED25519,
            KeyType::Secp256k1 => sys::ZQUIC_KEY_SECP256K1,
            KeyType::X25519 => sys::ZQUIC_KEY_X25519,
        }
    }
}

/// A 32-byte secret key, wiped when dropped.
pub struct SecretKey([u8; 32]);

impl SecretKey {
    /// Wraps existing key bytes (an Ed25519 seed, secp256k1 scalar or X25519 scalar).
    pub fn from_bytes(bytes: [u8; 32]) -> SecretKey {
        SecretKey(bytes)
    }
    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        // SAFETY: the array is writable for 32 bytes.
        unsafe { sys::zquic_crypto_memzero(self.0.as_mut_ptr() as *mut c_void, 32) }
    }
}

/// A key pair from [`keygen`].
#[derive(Debug)]
pub struct KeyPair {
    /// The key type.
    pub key_type: KeyType,
    /// The secret key.
    pub secret: SecretKey,
    /// The public key (32 bytes, or 33 for secp256k1).
    pub public: Vec<u8>,
}

/// A new random key pair.
pub fn keygen(key_type: KeyType) -> Result<KeyPair> {
    let mut secret = SecretKey([0; 32]);
    let mut public = vec![0u8; sys::ZQUIC_CRYPTO_PUBLIC_KEY_MAX_LEN];
    let (mut slen, mut plen) = (0usize, 0usize);
    // SAFETY: both buffers are writable for the capacities given.
    check(unsafe {
        sys::zquic_crypto_keygen(key_type.code(), secret.0.as_mut_ptr(), 32, &mut slen, public.as_mut_ptr(), public.len(), &mut plen)
    })?;
    public.truncate(plen);
    Ok(KeyPair { key_type, secret, public })
}

/// The public key of a 32-byte secret key.
pub fn public_key(key_type: KeyType, secret: &[u8]) -> Result<Vec<u8>> {
    let mut public = vec![0u8; sys::ZQUIC_CRYPTO_PUBLIC_KEY_MAX_LEN];
    let mut plen = 0usize;
    // SAFETY: secret readable for its length, public writable for its capacity.
    check(unsafe {
        sys::zquic_crypto_keygen_from_seed(key_type.code(), secret.as_ptr(), secret.len(), public.as_mut_ptr(), public.len(), &mut plen)
    })?;
    public.truncate(plen);
    Ok(public)
}

/// Signs `msg` (Ed25519, or secp256k1 ECDSA over SHA-256, low-S). A secret key of the wrong
/// length is an [`ErrorKind::InvalidArgument`](crate::ErrorKind) error.
pub fn sign(key_type: KeyType, secret: &[u8], msg: &[u8]) -> Result<Vec<u8>> {
    let mut sig = vec![0u8; sys::ZQUIC_CRYPTO_SIGNATURE_MAX_LEN];
    let mut n = 0usize;
    // SAFETY: inputs readable, output writable, for the lengths given.
    check(unsafe {
        sys::zquic_crypto_sign(
            key_type.code(),
            secret.as_ptr(),
            secret.len(),
            msg.as_ptr() as *const c_void,
            msg.len(),
            sig.as_mut_ptr(),
            sig.len(),
            &mut n,
        )
    })?;
    sig.truncate(n);
    Ok(sig)
}

/// Verifies a signature made by [`sign`]: `Ok(())` when valid, an
/// [`ErrorKind::BadSignature`](crate::ErrorKind) error when not, `InvalidKey` for a public key
/// that is not a valid point.
pub fn verify(key_type: KeyType, public: &[u8], msg: &[u8], sig: &[u8]) -> Result<()> {
    // SAFETY: every input is readable for its length.
    check(unsafe {
        sys::zquic_crypto_verify(
            key_type.code(),
            public.as_ptr(),
            public.len(),
            msg.as_ptr() as *const c_void,
            msg.len(),
            sig.as_ptr(),
            sig.len(),
        )
    })
}

/// X25519 (RFC 7748): the shared secret of our secret key and the peer's public key. Hash it
/// (with both public keys) before use as a key.
pub fn x25519(secret: &[u8], peer_public: &[u8]) -> Result<SecretKey> {
    let mut shared = SecretKey([0; 32]);
    let mut n = 0usize;
    // SAFETY: inputs readable, output writable, for the lengths given.
    check(unsafe {
        sys::zquic_crypto_x25519(secret.as_ptr(), secret.len(), peer_public.as_ptr(), peer_public.len(), shared.0.as_mut_ptr(), 32, &mut n)
    })?;
    Ok(shared)
}

/// Ethereum address (EIP-55 text "0x...") of a secp256k1 public key.
pub fn eth_address(public: &[u8]) -> Result<String> {
    let mut text = [0u8; sys::ZQUIC_ETH_ADDRESS_TEXT_LEN];
    // SAFETY: public readable; text writable for its capacity.
    check(unsafe {
        sys::zquic_crypto_eth_address(public.as_ptr(), public.len(), ptr::null_mut(), 0, text.as_mut_ptr() as *mut _, text.len())
    })?;
    Ok(String::from_utf8_lossy(&text[..text.iter().position(|&b| b == 0).unwrap_or(text.len())]).into_owned())
}

/// Fills `buf` with unpredictable bytes from the operating system.
pub fn random(buf: &mut [u8]) -> Result<()> {
    // SAFETY: buf writable for its length.
    check(unsafe { sys::zquic_crypto_random(buf.as_mut_ptr() as *mut c_void, buf.len()) })
}

/// Hash algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlg {
    /// BLAKE3 (32-byte default output; any length with [`Hasher::finalize_xof`]).
    Blake3,
    /// SHA-256.
    Sha256,
    /// SHA3-256 (FIPS 202).
    Sha3_256,
    /// BLAKE2b with a 32-byte output.
    Blake2b256,
    /// Ethereum's Keccak-256.
    Keccak256,
    /// SHA-512 (64-byte output).
    Sha512,
}

impl HashAlg {
    fn code(self) -> c_int {
        match self {
            HashAlg::Blake3 => sys::ZQUIC_HASH_BLAKE3,
            HashAlg::Sha256 => sys::ZQUIC_HASH_SHA256,
            HashAlg::Sha3_256 => sys::ZQUIC_HASH_SHA3_256,
            HashAlg::Blake2b256 => sys::ZQUIC_HASH_BLAKE2B_256,
            HashAlg::Keccak256 => sys::ZQUIC_HASH_KECCAK256,
            HashAlg::Sha512 => sys::ZQUIC_HASH_SHA512,
        }
    }
}

/// One-shot digest of `data`.
pub fn hash(alg: HashAlg, data: &[u8]) -> Result<Vec<u8>> {
    let mut out = vec![0u8; sys::ZQUIC_HASH_MAX_LEN];
    let mut n = 0usize;
    // SAFETY: data readable, out writable, for the lengths given.
    check(unsafe { sys::zquic_crypto_hash(alg.code(), data.as_ptr() as *const c_void, data.len(), out.as_mut_ptr(), out.len(), &mut n) })?;
    out.truncate(n);
    Ok(out)
}

/// BLAKE3 of `data` (32 bytes).
pub fn blake3(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    // SAFETY: data readable, out writable for 32 bytes; cannot fail with these arguments.
    let rc = unsafe { sys::zquic_crypto_blake3(data.as_ptr() as *const c_void, data.len(), out.as_mut_ptr(), 32) };
    assert_eq!(rc, sys::ZQUIC_OK, "zquic_crypto_blake3 failed");
    out
}

/// BLAKE3 keyed hash (32-byte key) with `out_len` bytes of output.
pub fn blake3_keyed(key: &[u8], data: &[u8], out_len: usize) -> Result<Vec<u8>> {
    let mut out = vec![0u8; out_len];
    // SAFETY: inputs readable, out writable, for the lengths given.
    check(unsafe { sys::zquic_crypto_blake3_keyed(key.as_ptr(), key.len(), data.as_ptr() as *const c_void, data.len(), out.as_mut_ptr(), out_len) })?;
    Ok(out)
}

/// BLAKE3 key derivation: `out_len` bytes from a context string and key material.
pub fn blake3_derive_key(context: &str, material: &[u8], out_len: usize) -> Result<Vec<u8>> {
    let c = cstring(context)?;
    let mut out = vec![0u8; out_len];
    // SAFETY: inputs readable, out writable, for the lengths given.
    check(unsafe { sys::zquic_crypto_blake3_derive_key(c.as_ptr(), material.as_ptr() as *const c_void, material.len(), out.as_mut_ptr(), out_len) })?;
    Ok(out)
}

/// A streaming hash; also an `io::Write`, so `io::copy(&mut file, &mut hasher)` hashes a file.
pub struct Hasher {
    ptr: *mut sys::zquic_crypto_hash_state,
}

// SAFETY: a hash state may move between threads; it is used by one thread at a time (&mut self),
// as the header asks. Not Sync.
unsafe impl Send for Hasher {}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher").finish_non_exhaustive()
    }
}

impl Hasher {
    /// A new state of `alg`.
    pub fn new(alg: HashAlg) -> Result<Hasher> {
        let mut ptr = ptr::null_mut();
        // SAFETY: *ptr receives a state we own (freed in Drop).
        check(unsafe { sys::zquic_crypto_hash_init(alg.code(), &mut ptr) })?;
        Ok(Hasher { ptr })
    }

    /// A BLAKE3 keyed-hash state (32-byte key).
    pub fn blake3_keyed(key: &[u8]) -> Result<Hasher> {
        let mut ptr = ptr::null_mut();
        // SAFETY: key readable; *ptr receives a state we own.
        check(unsafe { sys::zquic_crypto_blake3_init_keyed(key.as_ptr(), key.len(), &mut ptr) })?;
        Ok(Hasher { ptr })
    }

    /// Absorbs `data`.
    pub fn update(&mut self, data: &[u8]) -> Result<()> {
        // SAFETY: live state, data readable.
        check(unsafe { sys::zquic_crypto_hash_update(self.ptr, data.as_ptr() as *const c_void, data.len()) })
    }

    /// The default-length digest.
    pub fn finalize(self) -> Result<Vec<u8>> {
        let mut out = vec![0u8; sys::ZQUIC_HASH_MAX_LEN];
        let mut n = 0usize;
        // SAFETY: live state, out writable.
        check(unsafe { sys::zquic_crypto_hash_final(self.ptr, out.as_mut_ptr(), out.len(), &mut n) })?;
        out.truncate(n);
        Ok(out)
    }

    /// BLAKE3 states only: exactly `len` (>= 1) bytes of extended output.
    pub fn finalize_xof(self, len: usize) -> Result<Vec<u8>> {
        let mut out = vec![0u8; len];
        // SAFETY: live state, out writable for len bytes.
        check(unsafe { sys::zquic_crypto_hash_final_xof(self.ptr, out.as_mut_ptr(), len) })?;
        Ok(out)
    }
}

impl io::Write for Hasher {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Hasher {
    fn drop(&mut self) {
        // SAFETY: the state is freed (and wiped) once.
        unsafe { sys::zquic_crypto_hash_free(self.ptr) }
    }
}

/// Lower-case hex text of `data`.
pub fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{:02x}", b)).collect()
}

