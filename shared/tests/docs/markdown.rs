//! Just enough Markdown for the link check: fenced code, code spans, headings and their
//! GitHub slugs, and links.

use std::collections::HashSet;

/// The opening of a fenced code block: its character and length, if `line` opens one.
pub fn fence_opening(line: &str) -> Option<(char, usize)> {
    let trimmed = line.trim_start();
    let ch = trimmed.chars().next()?;
    if ch != '`' && ch != '~' {
        return None;
    }
    let len = trimmed.chars().take_while(|&c| c == ch).count();
    (len >= 3).then_some((ch, len))
}

/// Whether `line` closes a fence opened with `len` times `ch`.
pub fn closes_fence(line: &str, (ch, len): (char, usize)) -> bool {
    let trimmed = line.trim();
    !trimmed.is_empty() && trimmed.chars().all(|c| c == ch) && trimmed.chars().count() >= len
}

/// The lines of a Markdown text with those of fenced code blocks (fences included)
/// emptied, so line numbers stay as they are.
pub fn prose_lines(text: &str) -> Vec<&str> {
    let mut fence = None;
    text.lines()
        .map(|line| match fence {
            Some(open) => {
                if closes_fence(line, open) {
                    fence = None;
                }
                ""
            }
            None => match fence_opening(line) {
                Some(open) => {
                    fence = Some(open);
                    ""
                }
                None => line,
            },
        })
        .collect()
}

/// `text` with inline code spans blanked (newlines kept), so a `[x](y)` in code is no link.
pub fn without_code_spans(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|&&c| c == '`').count();
        // The closing run: the same number of backticks, not part of a longer run.
        let mut j = i + run;
        let mut close = None;
        while j < chars.len() {
            if chars[j] == '`' {
                let len = chars[j..].iter().take_while(|&&c| c == '`').count();
                if len == run {
                    close = Some(j);
                    break;
                }
                j += len;
            } else {
                j += 1;
            }
        }
        match close {
            Some(end) => {
                for &c in &chars[i..end + run] {
                    out.push(if c == '\n' { '\n' } else { ' ' });
                }
                i = end + run;
            }
            None => {
                for _ in 0..run {
                    out.push('`');
                }
                i += run;
            }
        }
    }
    out
}

/// GitHub's anchor for a heading's text: lower case; every character but letters, digits,
/// spaces, hyphens and underscores removed; each space a hyphen.
pub fn slug(heading: &str) -> String {
    let mut text = String::new();
    // A link in a heading counts by its text only.
    let mut rest = heading;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        match after.find("](").and_then(|close| {
            after[close + 2..]
                .find(')')
                .map(|end| (close, close + 2 + end))
        }) {
            Some((close, end)) => {
                text.push_str(&rest[..open]);
                text.push_str(&after[..close]);
                rest = &after[end + 1..];
            }
            None => {
                text.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    text.push_str(rest);
    text.chars()
        .flat_map(char::to_lowercase)
        .filter(|&c| c.is_alphanumeric() || c == ' ' || c == '-' || c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The text of an ATX heading (`# Title`, up to six `#`), if `line` is one.
pub fn heading_text(line: &str) -> Option<&str> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let line = &line[indent..];
    let level = line.chars().take_while(|&c| c == '#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let rest = &line[level..];
    if !(rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t')) {
        return None;
    }
    let rest = rest.trim();
    // An optional closing sequence of `#`, after a space.
    let without_closing = rest.trim_end_matches('#');
    let text = if without_closing.is_empty() {
        ""
    } else if without_closing.len() < rest.len() && without_closing.ends_with([' ', '\t']) {
        without_closing.trim_end()
    } else {
        rest
    };
    Some(text)
}

/// Every anchor of a Markdown file: its headings' slugs (a repeated slug gets `-1`, `-2`,
/// …, as on GitHub), and the `id`/`name` of any HTML anchor.
pub fn anchors(text: &str) -> HashSet<String> {
    let mut found = HashSet::new();
    let prose = prose_lines(text);
    for line in &prose {
        let Some(heading) = heading_text(line) else {
            continue;
        };
        let base = slug(heading);
        let mut anchor = base.clone();
        let mut n = 0;
        while found.contains(&anchor) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        found.insert(anchor);
    }
    let prose = without_code_spans(&prose.join("\n"));
    for attribute in ["id=\"", "name=\""] {
        for (at, _) in prose.match_indices(attribute) {
            let value = &prose[at + attribute.len()..];
            if let Some(end) = value.find('"') {
                found.insert(value[..end].to_string());
            }
        }
    }
    found
}

/// One link of a file: its line (1-based) and target.
#[derive(Debug)]
pub struct Link {
    pub line: usize,
    pub target: String,
}

/// Every link target of a Markdown file outside code: inline links and images
/// `[text](target "title")`, reference definitions `[label]: target`, and `<a href="…">`.
pub fn links(text: &str) -> Vec<Link> {
    let prose = without_code_spans(&prose_lines(text).join("\n"));
    let line_of = |at: usize| prose[..at].matches('\n').count() + 1;
    let mut found = Vec::new();

    for (at, _) in prose.match_indices("](") {
        let start = at + 2;
        let rest = &prose[start..];
        let target = if let Some(angled) = rest.strip_prefix('<') {
            angled.find('>').map(|end| &angled[..end])
        } else {
            // Up to the `)` that balances, or a space before a title.
            let mut depth = 0usize;
            let mut end = None;
            for (i, c) in rest.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' if depth == 0 => {
                        end = Some(i);
                        break;
                    }
                    ')' => depth -= 1,
                    ' ' | '\t' | '\n' => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            end.map(|end| &rest[..end])
        };
        found.push(Link {
            line: line_of(at),
            target: target.unwrap_or(rest).trim().to_string(),
        });
    }

    let mut offset = 0;
    for line in prose.split('\n') {
        let trimmed = line.trim_start();
        if let Some(label_end) = trimmed.strip_prefix('[').and_then(|l| l.find("]:")) {
            let target = trimmed[1 + label_end + 2..].split_whitespace().next();
            if let Some(target) = target {
                let target = target.trim_start_matches('<').trim_end_matches('>');
                found.push(Link {
                    line: line_of(offset),
                    target: target.to_string(),
                });
            }
        }
        offset += line.len() + 1;
    }

    for quote in ['"', '\''] {
        let attribute = format!("href={quote}");
        for (at, _) in prose.match_indices(&attribute) {
            let value = &prose[at + attribute.len()..];
            if let Some(end) = value.find(quote) {
                found.push(Link {
                    line: line_of(at),
                    target: value[..end].to_string(),
                });
            }
        }
    }
    found.sort_by_key(|link| link.line);
    found
}

/// Whether a target leaves the repository (and is not checked).
pub fn is_external(target: &str) -> bool {
    let lower = target.to_ascii_lowercase();
    ["http:", "https:", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

/// The value of one hexadecimal digit.
pub fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

/// `%XX` escapes decoded; anything else kept as it is.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(&[high, low]) = bytes.get(i + 1..i + 3)
            && let (Some(high), Some(low)) = (hex_value(high), hex_value(low))
        {
            out.push(high * 16 + low);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
