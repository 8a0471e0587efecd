//! Small helpers: C strings, timeouts, the loop-thread guard, and a tiny executor.
use std::cell::Cell;
use std::ffi::{CStr, CString};
use std::future::Future;
use std::os::raw::{c_char, c_int};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

use crate::error::{Error, Result};
use zquic_sys as sys;

/// A Rust string as a C string; an interior NUL is an invalid argument.
pub(crate) fn cstring(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| {
        Error::new(sys::ZQUIC_ERR_INVALID_ARGUMENT, format!("{:?} contains a NUL byte", s))
    })
}

pub(crate) fn opt_cstring(s: Option<&str>) -> Result<Option<CString>> {
    s.map(cstring).transpose()
}

/// Pointer of an optional C string, NULL for None.
pub(crate) fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

/// A C string the library owns, copied (NULL gives "").
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string valid for this call.
pub(crate) unsafe fn string_from(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

/// A fixed `char[N]` field as a String (up to its first NUL).
pub(crate) fn string_from_array(a: &[c_char]) -> String {
    let bytes: Vec<u8> = a.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A timeout in the library's convention: None waits forever (-1), longer than i32::MAX ms is
/// clamped.
pub(crate) fn timeout_ms(t: Option<Duration>) -> c_int {
    match t {
        None => -1,
        Some(d) => d.as_millis().min(c_int::MAX as u128) as c_int,
    }
}

thread_local! {
    static ON_LOOP: Cell<bool> = Cell::new(false);
}

/// Marks the current thread as running one of our callbacks (a zquic loop thread) while alive.
pub(crate) struct LoopGuard(bool);

impl LoopGuard {
    pub(crate) fn enter() -> LoopGuard {
        LoopGuard(ON_LOOP.with(|c| c.replace(true)))
    }
}

impl Drop for LoopGuard {
    fn drop(&mut self) {
        let old = self.0;
        ON_LOOP.with(|c| c.set(old));
    }
}

/// Runs `f`, which frees handles with calls that must not run on a loop thread (they wait for
/// the loop, or join it): inline normally, on a short-lived thread when the last owner of a
/// handle is dropped inside one of our callbacks.
pub(crate) fn release<F: FnOnce() + Send + 'static>(f: F) {
    if ON_LOOP.with(|c| c.get()) {
        thread::spawn(f);
    } else {
        f();
    }
}

/// A raw handle moved to the thread that frees it.
pub(crate) struct SendPtr<T>(pub(crate) *mut T);
// SAFETY: zquic handles may be used and freed from any thread (zquic.h: "Every function is
// thread-safe"); SendPtr only carries one to the thread that frees it.
unsafe impl<T> Send for SendPtr<T> {}

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs a future to completion on the current thread, parking between polls.
///
/// A minimal executor (std only) for examples, tests and programs without a runtime: the
/// futures of this crate need nothing but a [`Waker`], so they run the same under tokio,
/// async-std or this function.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = Box::pin(future);
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        match Pin::as_mut(&mut future).poll(&mut cx) {
            Poll::Ready(out) => return out,
            Poll::Pending => thread::park(),
        }
    }
}
