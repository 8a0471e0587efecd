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

/// A DoQ resolver on 127.0.0.1 (any free port) with the repository's example zone and ZNS
/// registry, served by `ctx`.
pub fn dns_server(ctx: &zquic::Context, enable_0rtt: bool) -> zquic::dns::Server {
    let zone = repo().join("tests/data/example.zone");
    let registry = repo().join("tests/data/zns-example.json");
    zquic::dns::Server::serve(
        ctx,
        &zquic::dns::ServerConfig::new()
            .listen("127.0.0.1:0")
            .cert_file(&cert("server-chain.pem"))
            .key_file(&cert("server.key"))
            .zone_file(zone.to_str().unwrap())
            .zns_registry(registry.to_str().unwrap())
            .enable_0rtt(enable_0rtt),
    )
    .unwrap()
}

/// Threads of this process now (/proc/self/task).
pub fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

/// A waker that records that it was woken (and unparks the thread that made it).
pub struct FlagWaker {
    pub woken: std::sync::atomic::AtomicBool,
    pub wakes: std::sync::atomic::AtomicUsize,
    thread: std::thread::Thread,
}

impl std::task::Wake for FlagWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.wakes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.woken.store(true, std::sync::atomic::Ordering::SeqCst);
        self.thread.unpark();
    }
}

impl FlagWaker {
    pub fn new() -> std::sync::Arc<FlagWaker> {
        std::sync::Arc::new(FlagWaker {
            woken: std::sync::atomic::AtomicBool::new(false),
            wakes: std::sync::atomic::AtomicUsize::new(0),
            thread: std::thread::current(),
        })
    }
}

/// A tiny executor (std only): drives all `futures` on the calling thread, each with its own
/// thread-park waker, re-polling a future only after its waker was called (so a future that is
/// never woken is never finished). `after_first_poll` runs once every future has been polled
/// once (all started). Panics when no waker fires for `stall` (a lost wake-up).
pub fn run_all<F: std::future::Future + Unpin>(
    mut futures: Vec<F>,
    stall: std::time::Duration,
    after_first_poll: impl FnOnce(),
) -> Vec<F::Output> {
    use std::sync::atomic::Ordering;
    use std::task::{Context, Poll, Waker};
    let n = futures.len();
    let flags: Vec<std::sync::Arc<FlagWaker>> = (0..n).map(|_| FlagWaker::new()).collect();
    let wakers: Vec<Waker> = flags.iter().map(|f| Waker::from(f.clone())).collect();
    let mut out: Vec<Option<F::Output>> = (0..n).map(|_| None).collect();
    let mut left = n;
    let mut first = true;
    let mut hook = Some(after_first_poll);
    while left > 0 {
        let mut progressed = false;
        for i in 0..n {
            if out[i].is_some() || !(first || flags[i].woken.swap(false, Ordering::SeqCst)) {
                continue;
            }
            progressed = true;
            let mut cx = Context::from_waker(&wakers[i]);
            if let Poll::Ready(v) = std::pin::Pin::new(&mut futures[i]).poll(&mut cx) {
                out[i] = Some(v);
                left -= 1;
            }
        }
        if first {
            first = false;
            if let Some(h) = hook.take() {
                h();
            }
            continue;
        }
        if left > 0 && !progressed && !flags.iter().any(|f| f.woken.load(Ordering::SeqCst)) {
            let t0 = std::time::Instant::now();
            std::thread::park_timeout(stall);
            if t0.elapsed() >= stall && !flags.iter().any(|f| f.woken.load(Ordering::SeqCst)) {
                panic!("{} of {} futures never woken within {:?}", left, n, stall);
            }
        }
    }
    out.into_iter().map(|v| v.unwrap()).collect()
}
