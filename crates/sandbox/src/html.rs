//! Server-rendered pages: one shell with inline CSS (no fonts, no CDNs) and an escaper that
//! every rendered value goes through.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A JSON string literal safe to embed inside a `<script>` block.
pub fn js_string(s: &str) -> String {
    serde_json::to_string(s)
        .unwrap_or_else(|_| "\"\"".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[derive(Clone, Copy)]
pub struct Brand {
    pub product: &'static str,
    pub accent: &'static str,
    pub accent_dark: &'static str,
    pub mark: &'static str,
}

pub const FLANKS: Brand = Brand {
    product: "Flanks",
    accent: "#4338ca",
    accent_dark: "#312e81",
    mark: "F",
};

pub const FLINKS: Brand = Brand {
    product: "Flinks Connect",
    accent: "#0b7a75",
    accent_dark: "#064e4b",
    mark: "fl",
};

const CSS: &str = r#"
*{box-sizing:border-box}body{margin:0;font-family:-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;background:linear-gradient(160deg,var(--a) 0%,var(--ad) 100%);min-height:100vh;display:flex;align-items:center;justify-content:center;color:#1f2937}
.card{background:#fff;width:420px;max-width:94vw;border-radius:16px;box-shadow:0 20px 50px rgba(0,0,0,.25);overflow:hidden}
.top{display:flex;align-items:center;gap:10px;padding:16px 22px;border-bottom:1px solid #eef0f4}
.mark{width:30px;height:30px;border-radius:8px;background:var(--a);color:#fff;font-weight:700;display:flex;align-items:center;justify-content:center;font-size:14px}
.prod{font-weight:600;font-size:15px}.secure{margin-left:auto;font-size:12px;color:#059669;display:flex;align-items:center;gap:4px}
.body{padding:22px}h1{font-size:20px;margin:0 0 6px}p.sub{margin:0 0 18px;color:#6b7280;font-size:14px;line-height:1.45}
.search{width:100%;padding:11px 12px;border:1px solid #d1d5db;border-radius:10px;font-size:14px;margin-bottom:12px}
.list{display:flex;flex-direction:column;gap:8px;max-height:330px;overflow:auto}
.bank{display:flex;align-items:center;gap:12px;padding:11px 12px;border:1px solid #e5e7eb;border-radius:12px;text-decoration:none;color:inherit;background:#fff;width:100%;font-size:15px;cursor:pointer;text-align:left}
.bank:hover{border-color:var(--a);background:#f8f8ff}.bank.off{opacity:.55;cursor:not-allowed}
.logo{width:38px;height:38px;border-radius:10px;color:#fff;font-weight:700;display:flex;align-items:center;justify-content:center;font-size:14px;flex:none}
.bank small{display:block;color:#9ca3af;font-size:12px}.chev{margin-left:auto;color:#9ca3af}
label{display:block;font-size:13px;font-weight:600;margin:12px 0 6px;color:#374151}
input[type=text],input[type=password]{width:100%;padding:12px;border:1px solid #d1d5db;border-radius:10px;font-size:15px}
input:focus{outline:2px solid var(--a);border-color:transparent}
.btn{display:block;width:100%;margin-top:18px;padding:13px;border:0;border-radius:10px;background:var(--a);color:#fff;font-size:15px;font-weight:600;cursor:pointer}
.btn.ghost{background:#fff;color:#6b7280;border:1px solid #e5e7eb;margin-top:10px}
.chosen{display:flex;align-items:center;gap:12px;margin:12px 0 10px}
.err{background:#fef2f2;color:#991b1b;border:1px solid #fecaca;padding:10px 12px;border-radius:10px;font-size:14px;margin-bottom:12px}
.hint{margin-top:14px;background:#f0fdfa;border:1px dashed #99f6e4;color:#115e59;padding:10px 12px;border-radius:10px;font-size:12.5px;line-height:1.5}
.foot{padding:12px 22px;border-top:1px solid #eef0f4;font-size:11.5px;color:#9ca3af;text-align:center}
.steps{display:flex;gap:6px;margin-bottom:16px}.steps i{flex:1;height:4px;border-radius:4px;background:#e5e7eb}.steps i.on{background:var(--a)}
.spinner{width:42px;height:42px;border:4px solid #e5e7eb;border-top-color:var(--a);border-radius:50%;margin:18px auto;animation:s 1s linear infinite}@keyframes s{to{transform:rotate(360deg)}}
.center{text-align:center}.ok{font-size:40px;color:#059669}
"#;

/// The page shell. `body` is trusted HTML built by the caller from escaped values.
pub fn page(brand: Brand, title: &str, steps: (u8, u8), body: &str, script: &str) -> String {
    let mut bar = String::new();
    if steps.1 > 0 {
        bar.push_str("<div class=\"steps\">");
        for i in 1..=steps.1 {
            bar.push_str(if i <= steps.0 {
                "<i class=\"on\"></i>"
            } else {
                "<i></i>"
            });
        }
        bar.push_str("</div>");
    }
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width,initial-scale=1\"><title>{title} · {prod}</title><style>\
         :root{{--a:{a};--ad:{ad}}}{CSS}</style></head><body><main class=\"card\" id=\"background\">\
         <div class=\"top\"><div class=\"mark\">{mark}</div><div class=\"prod\">{prod}</div>\
         <div class=\"secure\"><svg width=\"12\" height=\"12\" viewBox=\"0 0 24 24\" fill=\"currentColor\" aria-hidden=\"true\"><path d=\"M6 10V8a6 6 0 1 1 12 0v2h1a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V11a1 1 0 0 1 1-1h1zm2 0h8V8a4 4 0 1 0-8 0v2z\"/></svg>Secure connection</div></div><div class=\"body\">{bar}{body}</div>\
         <div class=\"foot\">Sandbox · no real bank is contacted · data is generated</div></main>\
         <script>{script}</script></body></html>",
        title = esc(title),
        prod = brand.product,
        a = brand.accent,
        ad = brand.accent_dark,
        mark = brand.mark,
    )
}

pub fn respond(status: StatusCode, html: String) -> Response {
    (status, Html(html)).into_response()
}

/// A bank "logo": its initials on its colour.
pub fn logo(name: &str, colour: &str) -> String {
    let initials: String = name
        .split_whitespace()
        .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect();
    format!(
        "<span class=\"logo\" style=\"background:{}\">{}</span>",
        esc(colour),
        esc(&initials)
    )
}

/// The message box a page shows above its form when a step failed.
pub fn error_message(message: &str) -> String {
    format!(
        "<div class=\"err\" id=\"error-message\">{}</div>",
        esc(message)
    )
}

/// [`error_message`] tagged with the provider's error code (`data-code`), for pages whose
/// callers tell failures apart by code.
pub fn coded_error_message(code: &str, message: &str) -> String {
    format!(
        "<div class=\"err\" id=\"error-message\" data-code=\"{}\">{}</div>",
        esc(code),
        esc(message)
    )
}

pub fn error_page(brand: Brand, status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!("<h1>{}</h1>{}", esc(title), error_message(message));
    respond(status, page(brand, title, (0, 0), &body, ""))
}
