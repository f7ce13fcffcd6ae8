//! A run in progress, for tests that stop it part-way (a signal, SIGKILL) once the
//! simulator's request log or the run's transcript shows it got where the test wants it.
//!
//! ```ignore
//! let mut run = test.start();
//! run.wait_for_request(&sim, "the destroy", |e| e["request"] == "destroy-model ...");
//! let out = run.stop(libc::SIGTERM);           // an Output: code 143, what it printed
//! ```

use std::io::Read;
use std::process::{Child, Stdio};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Output, Test};
use crate::sim_server::SimServer;

/// How long a run may take to get where a test waits for it.
const PATIENCE: Duration = Duration::from_secs(60);

pub struct Running {
    child: Child,
    stdout: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
    stderr: Arc<Mutex<String>>,
    dir: Rc<super::Dirs>,
}

/// Collects `pipe` into `sink` as it comes, on a thread.
fn collect(mut pipe: impl Read + Send + 'static, sink: Arc<Mutex<String>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            let text = String::from_utf8_lossy(&buf[..n]);
            sink.lock().expect("output buffer").push_str(&text);
        }
    })
}

impl Test {
    /// Starts the command (stdin closed), collecting what it prints as it comes.
    pub fn start(&self) -> Running {
        let mut child = self.launch(Stdio::null());
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let readers = vec![
            collect(child.stdout.take().expect("stdout"), stdout.clone()),
            collect(child.stderr.take().expect("stderr"), stderr.clone()),
        ];
        Running {
            child,
            stdout,
            readers,
            stderr,
            dir: Rc::clone(&self.dir),
        }
    }
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What it printed on stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout.lock().expect("stdout buffer").clone()
    }

    /// Polls `probe` until it gives a value; panics with the transcript so far if the run
    /// ends first or it takes too long.
    pub fn wait_for<T>(&mut self, what: &str, mut probe: impl FnMut(&str) -> Option<T>) -> T {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = self.stdout();
            if let Some(value) = probe(&text) {
                return value;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the run ended ({status}) before {what}\n{text}");
            }
            assert!(Instant::now() < deadline, "never got to {what}\n{text}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until `cond` holds for the transcript (stdout) so far.
    pub fn wait_until(&mut self, what: &str, cond: impl Fn(&str) -> bool) {
        self.wait_for(what, |text| cond(text).then_some(()));
    }

    /// Waits until the run's `juju destroy-model` reached the simulator and changed the cloud.
    pub fn wait_for_destroy(&mut self, sim: &SimServer) {
        self.wait_for_request(sim, "the destroy", |e| {
            let request = e["request"].as_str().unwrap_or("");
            request.starts_with("destroy-model") && e["changed"] == true
        });
    }

    /// Waits until the simulator's request log has an entry for which `cond` holds.
    pub fn wait_for_request(&mut self, sim: &SimServer, what: &str, cond: impl Fn(&Value) -> bool) {
        self.wait_until(what, |_| sim.log().iter().any(&cond));
    }

    /// Sends `signal` to the run.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on our own child's pid; no memory involved.
        let sent = unsafe { libc::kill(self.child.id() as i32, signal) };
        assert_eq!(sent, 0, "kill -{signal} {}", self.child.id());
    }

    /// Waits (bounded by `within`) for the run to end: its exit code (128 + N when a
    /// signal ended it) and everything it printed.
    pub fn finish(mut self, within: Duration) -> Output {
        use std::os::unix::process::ExitStatusExt;
        let deadline = Instant::now() + within;
        let code = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status
                    .code()
                    .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the run did not end within {within:?}\n{}", self.stdout());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        let text = |buf: &Arc<Mutex<String>>| buf.lock().expect("output buffer").clone();
        Output {
            code,
            stdout: text(&self.stdout),
            stderr: text(&self.stderr),
            dir: self.dir,
        }
    }

    /// Sends `signal` and waits (up to 20 s) for the run to end.
    pub fn stop(self, signal: i32) -> Output {
        self.signal(signal);
        self.finish(Duration::from_secs(20))
    }
}
