//! How the app's webviews are set up, once, right after each window is built.
//!
//! - **No page cache on disk.** Provider link pages carry one-use tokens in their URLs and
//!   HTML (a reauthorization page holds the credential's SCA token); WebKit's default cache
//!   model would write them under the data folder, where the secrets audit finds them.
//! - **No accelerated compositing.** The app's pages are documents (tables, SVG charts, no
//!   3D, video or heavy animation). With compositing on, WebKitGTK renders through OpenGL,
//!   and on a machine without a usable GPU that is Mesa's llvmpipe: ~120 MB more in the web
//!   process with the book open, and about a second of shader compilation on a first start
//!   (BENCHMARKS.md, "Speed and weight"). Scrolling the 50 000-row table was measured both
//!   ways before the switch.

use tauri::{Runtime, WebviewWindow};

/// Applies both settings to `window`'s webview. The web context is shared by the app's
/// windows; applying the cache model again is harmless.
pub fn apply<R: Runtime>(window: &WebviewWindow<R>) {
    #[cfg(target_os = "linux")]
    {
        let done = window.with_webview(|webview| {
            use webkit2gtk::{SettingsExt, WebContextExt, WebViewExt};
            let view = webview.inner();
            if let Some(context) = view.context() {
                context.set_cache_model(webkit2gtk::CacheModel::DocumentViewer);
            }
            if let Some(settings) = WebViewExt::settings(&view) {
                settings.set_hardware_acceleration_policy(
                    webkit2gtk::HardwareAccelerationPolicy::Never,
                );
            }
        });
        if let Err(e) = done {
            eprintln!("advisor-desk: the webview settings could not be applied: {e}");
        }
    }
    // macOS (WKWebView) and Windows (WebView2) need their own equivalent; not built here.
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}
