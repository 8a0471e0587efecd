//! Finds libzquic and tells cargo how to link it. std only (no `cc` or `pkg-config` crate).
//!
//! Where from, in order:
//!  1. `ZQUIC_LIB_DIR`: a directory holding libzquic.so / libzquic.a (a build tree such as
//!     `build/`, as scripts/test.sh passes it). A `zquic.pc` in that directory, when present, is
//!     used for the static dependencies.
//!  2. `pkg-config --libs zquic` (an installed zquic; honours `PKG_CONFIG_PATH`).
//!
//! How: dynamically by default; statically (libzquic.a plus the `Requires.private` and
//! `Libs.private` of zquic.pc, i.e. `pkg-config --static --libs zquic`) with the cargo feature
//! `static` or `ZQUIC_STATIC=1`.
//!
//! Dependents read `DEP_ZQUIC_LIB_DIR` (the directory found, for an rpath) and `DEP_ZQUIC_STATIC`.
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn pkg_config(args: &[&str], extra_path: Option<&Path>) -> Result<String, String> {
    let mut cmd = Command::new(env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".into()));
    cmd.args(args).arg("zquic");
    if let Some(dir) = extra_path {
        let mut path = dir.as_os_str().to_owned();
        if let Some(old) = env::var_os("PKG_CONFIG_PATH") {
            path.push(":");
            path.push(old);
        }
        cmd.env("PKG_CONFIG_PATH", path);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run pkg-config: {}", e))?;
    if !out.status.success() {
        return Err(format!(
            "pkg-config {} zquic failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What libzquic.a needs besides itself: the `Requires.private` modules of zquic.pc (linked
/// dynamically: their own private dependencies come with their .so files, so this does not need
/// every transitive static library, which Debian does not always ship) and its `Libs.private`.
fn static_deps(extra_path: Option<&Path>) -> Result<String, String> {
    let requires = pkg_config(&["--print-requires-private"], extra_path)?;
    let modules: Vec<&str> = requires
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let mut flags = String::new();
    if !modules.is_empty() {
        let out = Command::new(env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".into()))
            .arg("--libs")
            .args(&modules)
            .output()
            .map_err(|e| format!("cannot run pkg-config: {}", e))?;
        if !out.status.success() {
            return Err(format!(
                "pkg-config --libs {}: {}",
                modules.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        flags.push_str(&String::from_utf8_lossy(&out.stdout));
    }
    let pc_dir = pkg_config(&["--variable=pcfiledir"], extra_path)?;
    let pc = PathBuf::from(pc_dir.trim()).join("zquic.pc");
    let text = std::fs::read_to_string(&pc).map_err(|e| format!("{}: {}", pc.display(), e))?;
    for line in text.lines() {
        if let Some(private) = line.strip_prefix("Libs.private:") {
            flags.push(' ');
            flags.push_str(private);
        }
    }
    Ok(flags)
}

/// Emits the -L and -l flags of a pkg-config answer. `zquic` itself is linked as `zquic_kind`,
/// every other library dynamically. Returns the first -L directory.
fn emit_flags(flags: &str, zquic_kind: &str) -> Option<PathBuf> {
    let mut first_dir = None;
    for flag in flags.split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={}", dir);
            if first_dir.is_none() {
                first_dir = Some(PathBuf::from(dir));
            }
        } else if let Some(lib) = flag.strip_prefix("-l") {
            if lib == "zquic" {
                println!("cargo:rustc-link-lib={}=zquic", zquic_kind);
            } else {
                println!("cargo:rustc-link-lib=dylib={}", lib);
            }
        } else if flag == "-pthread" {
            println!("cargo:rustc-link-lib=dylib=pthread");
        }
        // Linker options such as -Wl,-z,relro are hardening of the .pc's own build: not needed.
    }
    first_dir
}

fn main() {
    for var in ["ZQUIC_LIB_DIR", "ZQUIC_STATIC", "PKG_CONFIG_PATH", "PKG_CONFIG"] {
        println!("cargo:rerun-if-env-changed={}", var);
    }
    println!("cargo:rerun-if-changed=build.rs");
    let static_link = env::var_os("CARGO_FEATURE_STATIC").is_some()
        || env::var("ZQUIC_STATIC").map(|v| v == "1").unwrap_or(false);

    let lib_dir = env::var_os("ZQUIC_LIB_DIR").map(PathBuf::from);
    let found_dir = match &lib_dir {
        Some(dir) => {
            let lib = if static_link { "libzquic.a" } else { "libzquic.so" };
            if !dir.join(lib).exists() {
                panic!("ZQUIC_LIB_DIR={} holds no {}", dir.display(), lib);
            }
            println!("cargo:rerun-if-changed={}", dir.join(lib).display());
            println!("cargo:rustc-link-search=native={}", dir.display());
            if static_link {
                let pc_dir = if dir.join("zquic.pc").exists() { Some(dir.as_path()) } else { None };
                match static_deps(pc_dir) {
                    Ok(flags) => {
                        println!("cargo:rustc-link-lib=static=zquic");
                        emit_flags(&flags, "static");
                    }
                    Err(e) => panic!("static linking needs zquic.pc for the dependencies: {}", e),
                }
            } else {
                println!("cargo:rustc-link-lib=dylib=zquic");
            }
            Some(dir.clone())
        }
        None => {
            let flags = pkg_config(&["--libs"], None).and_then(|flags| {
                if static_link {
                    static_deps(None).map(|deps| format!("{} {}", flags, deps))
                } else {
                    Ok(flags)
                }
            });
            match flags {
                Ok(flags) => emit_flags(&flags, if static_link { "static" } else { "dylib" }),
                Err(e) => panic!(
                    "zquic not found: {}\n  install zquic (cmake --install build) or set \
                     ZQUIC_LIB_DIR to the directory holding libzquic.so",
                    e
                ),
            }
        }
    };
    if let Some(dir) = found_dir {
        println!("cargo:lib_dir={}", dir.display());
        if !static_link {
            // This package's own tests (the drift test) run without LD_LIBRARY_PATH; an rpath
            // from here never reaches dependents' binaries.
            println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
        }
    }
    println!("cargo:static={}", if static_link { 1 } else { 0 });
}
