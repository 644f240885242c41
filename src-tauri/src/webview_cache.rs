//! The webview keeps no page cache on disk. Provider link pages carry one-use tokens in their
//! URLs and HTML (a reauthorization page holds the credential's SCA token); WebKit's default
//! cache model would write them under the data folder, where the secrets audit finds them.

use tauri::{Runtime, WebviewWindow};

/// Switches the window's web context to WebKit's `DocumentViewer` cache model (no disk or
/// page cache). The context is shared by the app's windows; calling it again is harmless.
pub fn no_disk_cache<R: Runtime>(window: &WebviewWindow<R>) {
    #[cfg(target_os = "linux")]
    {
        let done = window.with_webview(|webview| {
            use webkit2gtk::{WebContextExt, WebViewExt};
            if let Some(context) = webview.inner().context() {
                context.set_cache_model(webkit2gtk::CacheModel::DocumentViewer);
            }
        });
        if let Err(e) = done {
            eprintln!("advisor-desk: the webview cache could not be turned off: {e}");
        }
    }
    // macOS (WKWebView) and Windows (WebView2) need their own equivalent; not built here.
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}
