//! When libzquic is linked dynamically from a directory zquic-sys found (ZQUIC_LIB_DIR or
//! pkg-config's -L), this crate's own tests and examples get an rpath to it, so they run without
//! LD_LIBRARY_PATH. (An rpath only affects this package's binaries, never a dependent's.)
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_ZQUIC_LIB_DIR");
    let dynamic = std::env::var("DEP_ZQUIC_STATIC").map(|v| v != "1").unwrap_or(true);
    if let (true, Ok(dir)) = (dynamic, std::env::var("DEP_ZQUIC_LIB_DIR")) {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir);
    }
}
