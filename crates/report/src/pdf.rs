//! Drawing onto PDF pages with krilla: the two embedded DejaVu fonts (subset by krilla, so the
//! text stays selectable and searchable), text measurement from the same font files (skrifa),
//! and the few primitives the layout records — text, filled rectangles, polylines.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, LineCap, LineJoin, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::Document;
use skrifa::instance::{LocationRef, Size};
use skrifa::raw::TableProvider;
use skrifa::{FontRef, MetadataProvider};

use crate::ReportError;

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

pub type Rgb = (u8, u8, u8);

/// One drawing operation, in points from the page's top-left corner (y grows downwards;
/// a text's `y` is its baseline).
#[derive(Debug, Clone)]
pub enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        color: Rgb,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Rgb,
    },
    Line {
        points: Vec<(f32, f32)>,
        width: f32,
        color: Rgb,
    },
}

/// The fonts, for measuring (layout) and for drawing (PDF).
pub struct Fonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

impl Fonts {
    pub fn load() -> Result<Fonts, ReportError> {
        let bad = |_| ReportError::Font;
        Ok(Fonts {
            regular: FontRef::new(REGULAR).map_err(bad)?,
            bold: FontRef::new(BOLD).map_err(bad)?,
        })
    }

    /// Width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        let font = if bold { &self.bold } else { &self.regular };
        let upem = f32::from(font.head().map(|h| h.units_per_em()).unwrap_or(2048));
        let charmap = font.charmap();
        let metrics = font.glyph_metrics(Size::unscaled(), LocationRef::default());
        let units: f32 = text
            .chars()
            .map(|c| {
                charmap
                    .map(c)
                    .and_then(|g| metrics.advance_width(g))
                    .unwrap_or(upem * 0.6)
            })
            .sum();
        units / upem * size
    }

    /// `text` shortened with an ellipsis to fit `max` points.
    pub fn fit(&self, text: &str, size: f32, bold: bool, max: f32) -> String {
        if self.width(text, size, bold) <= max {
            return text.to_string();
        }
        let mut out: String = text.to_string();
        while !out.is_empty() && self.width(&format!("{out}…"), size, bold) > max {
            out.pop();
        }
        format!("{}…", out.trim_end())
    }
}

fn color(c: Rgb) -> krilla::paint::Paint {
    rgb::Color::new(c.0, c.1, c.2).into()
}

fn draw(surface: &mut Surface<'_>, op: &Op, regular: &Font, bold_font: &Font) {
    match op {
        Op::Text {
            x,
            y,
            size,
            bold,
            color: c,
            text,
        } => {
            surface.set_stroke(None);
            surface.set_fill(Some(Fill {
                paint: color(*c),
                opacity: NormalizedF32::ONE,
                rule: Default::default(),
            }));
            let font = if *bold { bold_font } else { regular };
            surface.draw_text(
                Point::from_xy(*x, *y),
                font.clone(),
                *size,
                text,
                false,
                TextDirection::Auto,
            );
        }
        Op::Rect {
            x,
            y,
            w,
            h,
            color: c,
        } => {
            if let Some(rect) = Rect::from_xywh(*x, *y, w.max(0.1), h.max(0.1)) {
                let mut pb = PathBuilder::new();
                pb.push_rect(rect);
                if let Some(path) = pb.finish() {
                    surface.set_stroke(None);
                    surface.set_fill(Some(Fill {
                        paint: color(*c),
                        opacity: NormalizedF32::ONE,
                        rule: Default::default(),
                    }));
                    surface.draw_path(&path);
                }
            }
        }
        Op::Line {
            points,
            width,
            color: c,
        } => {
            let mut pb = PathBuilder::new();
            for (i, (x, y)) in points.iter().enumerate() {
                if i == 0 {
                    pb.move_to(*x, *y);
                } else {
                    pb.line_to(*x, *y);
                }
            }
            if let Some(path) = pb.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    paint: color(*c),
                    width: *width,
                    line_cap: LineCap::Round,
                    line_join: LineJoin::Round,
                    ..Default::default()
                }));
                surface.draw_path(&path);
                surface.set_stroke(None);
            }
        }
    }
}

/// Writes the recorded pages as a PDF.
pub fn write(
    pages: &[Vec<Op>],
    (w, h): (f32, f32),
    title: &str,
    lang: &str,
    author: Option<&str>,
) -> Result<Vec<u8>, ReportError> {
    let regular = Font::new(REGULAR.into(), 0).ok_or(ReportError::Font)?;
    let bold = Font::new(BOLD.into(), 0).ok_or(ReportError::Font)?;
    let mut document = Document::new();
    let mut metadata = Metadata::new()
        .title(title.to_string())
        .language(lang.to_string())
        .creator("Advisor Desk".to_string());
    if let Some(a) = author {
        metadata = metadata.authors(vec![a.to_string()]);
    }
    document.set_metadata(metadata);
    for ops in pages {
        let settings = PageSettings::from_wh(w, h).ok_or(ReportError::Paper)?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for op in ops {
            draw(&mut surface, op, &regular, &bold);
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| ReportError::Pdf(format!("{e:?}")))
}
