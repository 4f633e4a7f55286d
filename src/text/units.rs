//! Sentences and paragraphs of a field, for `NEAR/S` and `NEAR/P` (SPEC
//! 2b), on the original text as received.
//!
//! - **Sentences** are those of Unicode's default sentence boundaries
//!   (UAX #29, by `unicode-segmentation`), so `.`, `?`, `!`, the CJK full
//!   stop `。` and its full-width kin end one, and every line break does
//!   too. UAX #29 alone breaks after an abbreviation followed by a capital
//!   (`the U.S. Commerce Department` would be two sentences); like ICU's
//!   sentence-break suppressions (from CLDR), a boundary right after
//!   initials (`U.S.`, `J.`, `e.g.`) or one of [`ABBREVIATIONS`] is not
//!   taken, unless a line break ends that sentence. A sentence that really
//!   ends with such a word (`... made in the U.S. The next ...`) is then
//!   joined to the next: the price ICU pays too.
//! - **Paragraphs** end at every line break: LF, CR, CR LF, VT, FF, NEL,
//!   U+2028 and U+2029, so a blank line between paragraphs and a single
//!   line break both part them (publishers' feeds use either).
//!
//! Each is returned as the sorted byte offsets where a unit starts (0
//! first); [`unit_of`] finds the unit of an offset.

use unicode_segmentation::UnicodeSegmentation;

/// Abbreviations after which a sentence does not end, compared without
/// their period and case-sensitively as written: titles, months, company
/// forms and a few Russian ones (a subset of CLDR's English and Russian
/// sentence-break suppressions). Single letters (initials) need no entry.
pub const ABBREVIATIONS: &[&str] = &[
    "Mr", "Mrs", "Ms", "Dr", "Prof", "Gen", "Sen", "Rep", "Gov", "Lt", "Col", "Capt", "Sgt", "Adm",
    "Cmdr", "Pres", "St", "Jr", "Sr", "Inc", "Corp", "Co", "Ltd", "Bros", "No", "Nos", "vs", "Jan",
    "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "approx", "Fig",
    "Vol", "Mt", "Ft", "г", "гг", "т", "тт", "др", "им", "ул", "проф", "ген", "млн", "млрд", "тыс",
];

/// The byte offsets where the sentences of `text` start, sorted, 0 first
/// (also for an empty text).
pub fn sentence_starts(text: &str) -> Vec<u32> {
    let mut starts = vec![0u32];
    let mut last_start = 0usize;
    for (i, _) in text.split_sentence_bound_indices().skip(1) {
        let before = &text[last_start..i];
        if !ends_with_abbreviation(before) || ends_with_line_break(before) {
            starts.push(i as u32);
            last_start = i;
        }
    }
    starts
}

/// The byte offsets where the paragraphs of `text` start, sorted, 0 first:
/// just past each line break (CR LF is one).
pub fn paragraph_starts(text: &str) -> Vec<u32> {
    let mut starts = vec![0u32];
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices() {
        let is_break = match c {
            '\r' => bytes.get(i + 1) != Some(&b'\n'),
            '\n' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => true,
            _ => false,
        };
        if is_break && i + c.len_utf8() < text.len() {
            starts.push((i + c.len_utf8()) as u32);
        }
    }
    starts
}

/// The index of the unit (in `starts`, as from [`sentence_starts`] or
/// [`paragraph_starts`]) that byte offset `at` lies in.
pub fn unit_of(starts: &[u32], at: usize) -> usize {
    starts
        .partition_point(|&s| s as usize <= at)
        .saturating_sub(1)
}

fn ends_with_line_break(sentence: &str) -> bool {
    sentence.trim_end_matches([' ', '\t']).ends_with([
        '\n', '\r', '\u{0B}', '\u{0C}', '\u{85}', '\u{2028}', '\u{2029}',
    ])
}

/// The sentence, as UAX #29 cut it, ends with initials or an abbreviation
/// and its period, then white space.
fn ends_with_abbreviation(sentence: &str) -> bool {
    let Some(body) = sentence.trim_end().strip_suffix('.') else {
        return false;
    };
    // The last token: what follows the last space or opening bracket.
    let token = body
        .rsplit(|c: char| c.is_whitespace() || matches!(c, '(' | '[' | '"' | '«' | '“'))
        .next()
        .unwrap_or(body);
    if token.is_empty() {
        return false;
    }
    // Initials: one letter, or letters each followed by a period (`U.S`,
    // `e.g`, `J`).
    let initials = token
        .split('.')
        .all(|part| part.chars().count() == 1 && part.chars().all(char::is_alphabetic));
    initials || ABBREVIATIONS.contains(&token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(text: &str) -> Vec<&str> {
        let starts = sentence_starts(text);
        let mut out = Vec::new();
        for (k, &s) in starts.iter().enumerate() {
            let e = starts.get(k + 1).map_or(text.len(), |&e| e as usize);
            out.push(text[s as usize..e].trim_end());
        }
        out
    }

    #[test]
    fn sentences_end_at_stops_cjk_stops_and_line_breaks() {
        assert_eq!(
            sentences("Chips sold. Are they banned? Yes! 英伟达芯片。出口许可。\nNext line"),
            [
                "Chips sold.",
                "Are they banned?",
                "Yes!",
                "英伟达芯片。",
                "出口许可。",
                "Next line"
            ]
        );
    }

    #[test]
    fn initials_and_abbreviations_do_not_end_a_sentence() {
        assert_eq!(
            sentences(
                "The U.S. Commerce Department and Mr. Smith met Gen. Lee on Jan. 5. \
                 Then J. Doe spoke. В 2024 г. Минторг США решил."
            ),
            [
                "The U.S. Commerce Department and Mr. Smith met Gen. Lee on Jan. 5.",
                "Then J. Doe spoke.",
                "В 2024 г. Минторг США решил."
            ]
        );
        // A line break after one still ends the sentence.
        assert_eq!(
            sentences("Made in the U.S.\nNext"),
            ["Made in the U.S.", "Next"]
        );
        // A period after a word that is no abbreviation does.
        assert_eq!(sentences("Approved. Nvidia"), ["Approved.", "Nvidia"]);
    }

    #[test]
    fn paragraphs_end_at_every_line_break() {
        let text = "a b\n\nc\r\nd\re\u{2029}f\n";
        let starts = paragraph_starts(text);
        let paras: Vec<&str> = starts
            .iter()
            .enumerate()
            .map(|(k, &s)| {
                let e = starts.get(k + 1).map_or(text.len(), |&e| e as usize);
                text[s as usize..e].trim_end()
            })
            .collect();
        assert_eq!(paras, ["a b", "", "c", "d", "e", "f"]);
        assert_eq!(unit_of(&starts, 0), 0);
        assert_eq!(unit_of(&starts, 2), 0);
        assert_eq!(unit_of(&starts, 5), 2);
        assert_eq!(unit_of(&[0], 1000), 0);
    }
}
