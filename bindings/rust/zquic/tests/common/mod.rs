//! Shared by the integration tests: the test PKI and paths.
#![allow(dead_code)]
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

/// The repository root (bindings/rust/zquic/../../..).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

static CERTS: Mutex<Option<PathBuf>> = Mutex::new(None);

/// The test PKI of tests/gen-certs.sh: $ZQUIC_TEST_CERTS (what ctest made), else made here once.
pub fn certs() -> PathBuf {
    let mut c = CERTS.lock().unwrap();
    if let Some(p) = &*c {
        return p.clone();
    }
    let dir = match std::env::var_os("ZQUIC_TEST_CERTS") {
        Some(d) if PathBuf::from(&d).join("stamp").exists() => PathBuf::from(d),
        _ => {
            let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("test-certs");
            let st = Command::new("bash")
                .arg(repo().join("tests/gen-certs.sh"))
                .arg(&d)
                .status()
                .expect("run tests/gen-certs.sh");
            assert!(st.success(), "tests/gen-certs.sh failed");
            d
        }
    };
    *c = Some(dir.clone());
    dir
}

pub fn cert(name: &str) -> String {
    certs().join(name).to_str().unwrap().to_string()
}
