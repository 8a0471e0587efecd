//! ZCrypto through the safe API, with error paths.
use zquic::crypto::{self, HashAlg, Hasher, KeyType};
use zquic::ErrorKind;

#[test]
fn sign_and_verify_each_key_type() {
    for kt in [KeyType::Ed25519, KeyType::Secp256k1] {
        let kp = crypto::keygen(kt).unwrap();
        assert_eq!(kp.public.len(), if kt == KeyType::Ed25519 { 32 } else { 33 });
        assert_eq!(crypto::public_key(kt, kp.secret.as_bytes()).unwrap(), kp.public);
        let sig = crypto::sign(kt, kp.secret.as_bytes(), b"ghostchain").unwrap();
        assert_eq!(sig.len(), 64);
        crypto::verify(kt, &kp.public, b"ghostchain", &sig).unwrap();
        let e = crypto::verify(kt, &kp.public, b"ghostchaim", &sig).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadSignature, "{}", e);
        assert_eq!(e.code(), -21);
    }
}

#[test]
fn invalid_lengths_and_keys_are_errors_with_codes() {
    let e = crypto::sign(KeyType::Ed25519, &[1u8; 31], b"m").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(e.code(), -1);
    assert!(!e.to_string().is_empty());
    let e = crypto::sign(KeyType::X25519, &[1u8; 32], b"m").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let e = crypto::public_key(KeyType::Secp256k1, &[0u8; 32]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidKey, "{}", e);
    let e = crypto::verify(KeyType::Secp256k1, &[7u8; 33], b"m", &[0u8; 64]).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::InvalidKey | ErrorKind::BadSignature), "{:?}", e);
    let e = crypto::x25519(&[1u8; 32], &[0u8; 32]).unwrap_err(); // low-order point
    assert_eq!(e.kind(), ErrorKind::InvalidKey, "{}", e);
    let e = crypto::blake3_keyed(&[0u8; 16], b"data", 32).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn x25519_agrees() {
    let a = crypto::keygen(KeyType::X25519).unwrap();
    let b = crypto::keygen(KeyType::X25519).unwrap();
    let s1 = crypto::x25519(a.secret.as_bytes(), &b.public).unwrap();
    let s2 = crypto::x25519(b.secret.as_bytes(), &a.public).unwrap();
    assert_eq!(s1.as_bytes(), s2.as_bytes());
    assert_ne!(s1.as_bytes(), &[0u8; 32]);
}

#[test]
fn hashes_match_known_vectors() {
    // BLAKE3 of "" (official vectors) and SHA-256 / Keccak-256 of "abc" / "".
    assert_eq!(
        crypto::hex(&crypto::blake3(b"")),
        "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
    );
    assert_eq!(
        crypto::hex(&crypto::hash(HashAlg::Sha256, b"abc").unwrap()),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        crypto::hex(&crypto::hash(HashAlg::Keccak256, b"").unwrap()),
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    );
    assert_eq!(crypto::hash(HashAlg::Sha512, b"x").unwrap().len(), 64);
}

#[test]
fn streaming_hasher_equals_one_shot() {
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let mut h = Hasher::new(HashAlg::Blake3).unwrap();
    std::io::copy(&mut &data[..], &mut h).unwrap();
    assert_eq!(h.finalize().unwrap(), crypto::blake3(&data).to_vec());
    let mut h = Hasher::new(HashAlg::Blake3).unwrap();
    h.update(&data).unwrap();
    let xof = h.finalize_xof(64).unwrap();
    assert_eq!(&xof[..32], &crypto::blake3(&data)[..]);
}

#[test]
fn eth_address_of_a_known_key() {
    // secp256k1 secret 1: the generator point; its address is well known.
    let mut sk = [0u8; 32];
    sk[31] = 1;
    let public = crypto::public_key(KeyType::Secp256k1, &sk).unwrap();
    assert_eq!(crypto::eth_address(&public).unwrap(), "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
}
