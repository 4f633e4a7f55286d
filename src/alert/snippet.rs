//! Snippets (SPEC section 3): the text of a field around the first match of
//! an alert, about `alerts.snippet_chars` characters, white space collapsed.

/// About `max_chars` characters (Unicode scalar values) of `text` around
/// `start..end` (byte offsets on character boundaries), white space runs
/// shown as one space, `…` where the text was cut. Cuts fall on white space
/// within `max_chars / 8` characters of the cut. The match itself is never
/// cut, so a match longer than `max_chars` is returned whole.
///
/// # Panics
///
/// When `start..end` is not a range of `text` on character boundaries.
pub fn snippet(text: &str, start: usize, end: usize, max_chars: usize) -> String {
    let match_chars = text[start..end].chars().count();
    let budget = max_chars.saturating_sub(match_chars);
    // Half the budget before the match; what the start of the text leaves
    // unused goes after it.
    let before_avail = text[..start].chars().count();
    let before = (budget / 2).min(before_avail);
    let after = budget - before;
    let mut from = text[..start]
        .char_indices()
        .rev()
        .nth(before.saturating_sub(1))
        .map_or(start, |(i, _)| i);
    if before == 0 {
        from = start;
    }
    let mut to = text[end..]
        .char_indices()
        .nth(after)
        .map_or(text.len(), |(i, _)| end + i);
    // Prefer cutting at white space within the outer eighth of each side.
    let slack = max_chars / 8;
    if from > 0
        && let Some(ws) = text[from..start].find(char::is_whitespace)
        && text[from..from + ws].chars().count() <= slack
    {
        from += ws;
    }
    if to < text.len()
        && let Some(ws) = text[end..to].rfind(char::is_whitespace)
        && text[end + ws..to].chars().count() <= slack
    {
        to = end + ws;
    }
    let mut out = String::with_capacity(to - from + 8);
    if from > 0 {
        out.push('…');
    }
    let mut space = false;
    for c in text[from..to].trim().chars() {
        if c.is_whitespace() {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    if to < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_centres_on_the_match_and_never_cuts_a_character() {
        let text = "Китайские компании Alibaba и ByteDance рассматривают возможность закупить у \
                    американской корпорации Nvidia чипы H200, которые используются для создания \
                    продуктов на основе искусственного интеллекта.";
        let start = text.find("H200").unwrap();
        let s = snippet(text, start, start + 4, 80);
        assert!(s.contains("H200"));
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        let n = s.chars().count();
        assert!((60..=84).contains(&n), "{n} chars: {s}");
    }

    #[test]
    fn short_text_is_whole_and_white_space_collapses() {
        assert_eq!(snippet("a\n\n  H200  b", 5, 9, 160), "a H200 b");
        assert_eq!(snippet("H200", 0, 4, 2), "H200");
    }

    #[test]
    fn a_match_at_the_start_gives_the_budget_to_what_follows() {
        let text = "H200 ".repeat(100);
        let s = snippet(&text, 0, 4, 40);
        assert!(s.starts_with("H200") && s.ends_with('…'));
        assert!(s.chars().count() >= 30, "{s}");
    }
}
