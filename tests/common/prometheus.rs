//! A real Prometheus server for tests that judge kbp's metrics as Prometheus sees them: it
//! scrapes the targets a test names every second, from a config and a TSDB in a temp dir
//! of its own, on a free 127.0.0.1 port, and is killed when dropped. Its HTTP API answers
//! the test's PromQL. Also a tiny HTTP server of fixed text, to scrape without kbp.
//!
//! The binaries come from Debian's `prometheus` package (`.ci/run` installs it). A missing
//! one fails the test with that hint: never a skip.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One series of a query's answer: its labels (with `__name__` when it has one) and value.
pub type Row = (BTreeMap<String, String>, f64);

/// The path of `name` on PATH; fails the test, with how to install it, when it is missing.
pub fn prometheus_tool(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} not found on PATH: install Debian's prometheus package \
                 (apt-get install prometheus), as .ci/run does"
            )
        })
}

/// What Prometheus scrapes: `targets` (`HOST:PORT`) as scrape job `job`, every second,
/// and the rule files it evaluates every second.
pub struct Scrape {
    pub job: String,
    pub targets: Vec<String>,
    pub rule_files: Vec<PathBuf>,
    /// More keys of the scrape job, as YAML lines (`scheme: https`, `tls_config: …`).
    pub job_yaml: Vec<String>,
}

impl Scrape {
    /// Job `kbp`, as docs/metrics.md and the alert rules expect.
    pub fn kbp(targets: &[&str]) -> Scrape {
        Scrape {
            job: "kbp".into(),
            targets: targets.iter().map(|t| t.to_string()).collect(),
            rule_files: vec![],
            job_yaml: vec![],
        }
    }
}

pub struct Prometheus {
    child: Child,
    dir: tempfile::TempDir,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    agent: ureq::Agent,
}

impl Prometheus {
    /// Starts it and waits until `/-/ready` answers 200 (at most 60 s).
    pub fn start(scrape: Scrape) -> Prometheus {
        // A port can be taken between finding it free and Prometheus binding it: try again.
        let mut last = String::new();
        for _ in 0..3 {
            match Prometheus::try_start(&scrape) {
                Ok(p) => return p,
                Err(log) if log.contains("address already in use") => last = log,
                Err(log) => panic!("prometheus did not become ready:\n{log}"),
            }
        }
        panic!("prometheus lost its port three times:\n{last}")
    }

    fn try_start(scrape: &Scrape) -> Result<Prometheus, String> {
        let binary = prometheus_tool("prometheus");
        let dir = tempfile::tempdir().unwrap();
        let config_file = dir.path().join("prometheus.yml");
        std::fs::write(&config_file, config(scrape)).unwrap();
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
        let child = Command::new(&binary)
            .arg(format!("--config.file={}", config_file.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        // From here on, a failure drops it: killed, its dir deleted.
        let mut p = Prometheus {
            child,
            dir,
            url: format!("http://127.0.0.1:{port}"),
            agent: ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(10)))
                .http_status_as_error(false)
                .build()
                .into(),
        };
        p.wait_ready(Duration::from_secs(60))?;
        Ok(p)
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Err(format!("prometheus exited ({status}):\n{}", self.log()));
            }
            if let Ok(resp) = self.agent.get(format!("{}/-/ready", self.url)).call() {
                if resp.status() == 200 {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(format!("not ready after {timeout:?}:\n{}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Prometheus's own log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// The instant query `expr` now, through `/api/v1/query`; fails the test on a query
    /// Prometheus rejects. A scalar answer is one row without labels.
    pub fn query(&self, expr: &str) -> Vec<Row> {
        self.try_query(expr)
            .unwrap_or_else(|e| panic!("query {expr}: {e}"))
    }

    /// Like [`Prometheus::query`], with Prometheus's error instead of a failed test.
    pub fn try_query(&self, expr: &str) -> Result<Vec<Row>, String> {
        let body = self
            .agent
            .get(format!("{}/api/v1/query", self.url))
            .query("query", expr)
            .call()
            .map_err(|e| format!("cannot ask prometheus: {e}"))?
            .body_mut()
            .read_to_string()
            .map_err(|e| format!("cannot read prometheus's answer: {e}"))?;
        parse_answer(&body)
    }

    /// Queries `expr` every 200 ms until `ok` accepts the rows; returns them. Fails the
    /// test after `timeout` with the last rows, the targets' health and Prometheus's log.
    pub fn wait_for(&self, expr: &str, ok: impl Fn(&[Row]) -> bool, timeout: Duration) -> Vec<Row> {
        let deadline = Instant::now() + timeout;
        loop {
            let rows = self.query(expr);
            if ok(&rows) {
                return rows;
            }
            if Instant::now() > deadline {
                panic!(
                    "{expr}: not as expected after {timeout:?}; last answer {rows:?}\ntargets: {}\nprometheus log:\n{}",
                    self.targets(),
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `/api/v1/targets` as Prometheus has it: each target's health and last error.
    pub fn targets(&self) -> String {
        self.agent
            .get(format!("{}/api/v1/targets", self.url))
            .call()
            .ok()
            .and_then(|mut r| r.body_mut().read_to_string().ok())
            .unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config(s: &Scrape) -> String {
    let quoted = |items: Vec<String>| items.join(", ");
    format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
         rule_files: [{}]\n\
         scrape_configs:\n  - job_name: {}\n{}    static_configs:\n      - targets: [{}]\n",
        quoted(
            s.rule_files
                .iter()
                .map(|p| serde_json::to_string(&p.display().to_string()).unwrap())
                .collect()
        ),
        serde_json::to_string(&s.job).unwrap(),
        s.job_yaml
            .iter()
            .map(|l| format!("    {l}\n"))
            .collect::<String>(),
        quoted(
            s.targets
                .iter()
                .map(|t| serde_json::to_string(t).unwrap())
                .collect()
        ),
    )
}

/// A port nothing listens on at the moment of asking.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The rows of an `/api/v1/query` answer; `Err` with Prometheus's message when it refused.
fn parse_answer(body: &str) -> Result<Vec<Row>, String> {
    let v: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("not JSON ({e}): {body}"))?;
    if v["status"] != "success" {
        return Err(format!("{}: {}", v["errorType"], v["error"]));
    }
    let data = &v["data"];
    let value = |pair: &serde_json::Value| -> Result<f64, String> {
        let text = pair[1]
            .as_str()
            .ok_or_else(|| format!("no value in {pair}"))?;
        text.parse::<f64>()
            .map_err(|e| format!("value {text}: {e}"))
    };
    match data["resultType"].as_str() {
        Some("vector") => data["result"]
            .as_array()
            .ok_or_else(|| format!("no result in {body}"))?
            .iter()
            .map(|s| {
                let labels = s["metric"]
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                            .collect()
                    })
                    .unwrap_or_default();
                Ok((labels, value(&s["value"])?))
            })
            .collect(),
        Some("scalar") => Ok(vec![(BTreeMap::new(), value(&data["result"])?)]),
        other => Err(format!(
            "answer of type {other:?}, not an instant vector: {body}"
        )),
    }
}

/// A tiny HTTP/1.1 server on a free 127.0.0.1 port that answers every request with the
/// current page as Prometheus's text format; for scrapes that need no kbp. Stops when
/// dropped.
pub struct TextPage {
    pub addr: String,
    page: Arc<Mutex<String>>,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// The `Authorization` header of each request, in order (`None`: it had none).
    authorizations: Arc<Mutex<Vec<Option<String>>>>,
}

impl TextPage {
    pub fn serve(page: &str) -> TextPage {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let page = Arc::new(Mutex::new(page.to_string()));
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let (page, requests, stop) = (page.clone(), requests.clone(), stop.clone());
            let seen = authorizations.clone();
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let body = page.lock().unwrap().clone();
                    if let Ok(authorization) = answer(conn, &body) {
                        seen.lock().unwrap().push(authorization);
                        requests.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        };
        TextPage {
            addr,
            page,
            requests,
            stop,
            thread: Some(thread),
            authorizations,
        }
    }

    /// The `Authorization` header of each request so far.
    pub fn authorizations(&self) -> Vec<Option<String>> {
        self.authorizations.lock().unwrap().clone()
    }

    /// What the next requests get.
    pub fn set(&self, page: &str) {
        *self.page.lock().unwrap() = page.to_string();
    }

    /// Requests answered so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Reads one request's head and answers it with `body`, then closes the connection; the
/// request's `Authorization` header.
fn answer(conn: TcpStream, body: &str) -> std::io::Result<Option<String>> {
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    let mut authorization = None;
    while reader.read_line(&mut line)? > 0 && line != "\r\n" && line != "\n" {
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("authorization") {
                authorization = Some(value.trim().to_string());
            }
        }
        line.clear();
    }
    let mut conn = conn;
    write!(
        conn,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    conn.flush()?;
    Ok(authorization)
}

impl Drop for TextPage {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the stop.
        let _ = TcpStream::connect(&self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Runs `promtool ARGS` in `dir`; its exit success and its stdout and stderr together.
pub fn promtool(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(prometheus_tool("promtool"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run promtool");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}
