//! A real webhook receiver on a loopback port: it records every request and answers with the
//! statuses a test scripts (then 200).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The status it was answered with.
    pub status: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    script: VecDeque<u16>,
    /// Wait this long before answering each request.
    delay: Duration,
}

/// The receiver; it stops with the test process.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    shared: Arc<(Mutex<Shared>, Condvar)>,
}

impl Receiver {
    pub fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let shared: Arc<(Mutex<Shared>, Condvar)> = Arc::default();
        let state = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = state.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &state);
                });
            }
        });
        Receiver { url, shared }
    }

    /// Answers the next requests with these statuses, in order.
    pub fn script(&self, statuses: &[u16]) {
        self.shared.0.lock().unwrap().script.extend(statuses);
    }

    /// Makes each answer wait.
    pub fn delay(&self, delay: Duration) {
        self.shared.0.lock().unwrap().delay = delay;
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.0.lock().unwrap().received.clone()
    }

    /// Waits until `done` holds for what was received, or panics after `timeout`.
    pub fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        let (lock, changed) = &*self.shared;
        let mut shared = lock.lock().unwrap();
        while !done(&shared.received) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "the receiver still waits after {timeout:?}; it got {} request(s)",
                shared.received.len()
            );
            shared = changed.wait_timeout(shared, left).unwrap().0;
        }
        shared.received.clone()
    }
}

fn serve(stream: TcpStream, state: &(Mutex<Shared>, Condvar)) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((k, v)) = trimmed.split_once(':') {
            let (k, v) = (k.trim().to_owned(), v.trim().to_owned());
            if k.eq_ignore_ascii_case("content-length") {
                length = v.parse().unwrap_or(0);
            }
            headers.push((k, v));
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let (status, delay) = {
        let mut shared = state.0.lock().unwrap();
        (shared.script.pop_front().unwrap_or(200), shared.delay)
    };
    std::thread::sleep(delay);
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} Scripted\r\nContent-Type: text/plain\r\nContent-Length: 8\r\nConnection: close\r\n\r\nanswered"
    )?;
    stream.flush()?;
    let (lock, changed) = state;
    lock.lock().unwrap().received.push(Received {
        headers,
        body,
        status,
    });
    changed.notify_all();
    Ok(())
}
