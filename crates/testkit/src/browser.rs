//! A real headless Chromium for browser tests, driven through chromedriver by fantoccini.
//! Chromium and chromedriver come from Debian (`chromium`, `chromium-driver`; `cargo xtask
//! test` and CI install them): without them a browser test fails, saying so, rather than
//! passing untested. With `TENANTRY_SCREENSHOTS=dir`, [`screenshot`] saves pages there.

use fantoccini::{Client, ClientBuilder, Locator};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver on a free port, killed when dropped, with the profile directories of the
/// browsers it started removed.
pub struct Driver {
    child: Child,
    url: String,
    profiles: Mutex<Vec<PathBuf>>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for profile in self.profiles.get_mut().unwrap_or_else(|e| e.into_inner()) {
            let _ = std::fs::remove_dir_all(profile);
        }
    }
}

pub fn driver() -> Driver {
    for path in [CHROMEDRIVER, CHROMIUM] {
        assert!(
            std::path::Path::new(path).exists(),
            "{path} is missing: install Debian's chromium and chromium-driver \
             (`cargo xtask test` does) to run the browser tests"
        );
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while ureq::get(&format!("{url}/status")).call().is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver {
        child,
        url,
        profiles: Mutex::default(),
    }
}

pub async fn browser(driver: &Driver) -> Client {
    let profile = std::env::temp_dir().join(format!("tenantry-chromium-{}", uuid::Uuid::new_v4()));
    driver
        .profiles
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(profile.clone());
    let capabilities = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!()
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a Chromium session through chromedriver")
}

pub async fn screenshot(client: &Client, name: &str) {
    if let Ok(dir) = std::env::var("TENANTRY_SCREENSHOTS") {
        let png = client.screenshot().await.expect("a screenshot");
        std::fs::write(format!("{dir}/{name}.png"), png).expect("write the screenshot");
    }
}

/// The text of the element `css` selects, once the page has it; the page's source if not.
/// A click's navigation may replace the page between finding the element and reading it: a
/// stale element is looked up again.
pub async fn text(client: &Client, css: &str) -> String {
    read_until(client, css, |_| true).await
}

/// Waits until the element `css` selects reads `expected`: after a click the old page may
/// still be showing for a moment.
pub async fn expect_text(client: &Client, css: &str, expected: &str) {
    read_until(client, css, |t| t == expected).await;
}

async fn read_until(client: &Client, css: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok(element) = client.find(Locator::Css(css)).await {
            if let Ok(text) = element.text().await {
                if done(&text) {
                    return text;
                }
                last = text;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{css} read {last:?} at {:?} in {}",
        client.current_url().await.ok(),
        client.source().await.unwrap_or_default()
    )
}

pub async fn click(client: &Client, locator: Locator<'_>) {
    client.find(locator).await.unwrap().click().await.unwrap();
}

pub async fn type_into(client: &Client, id: &str, value: &str) {
    let field = client.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}
