//! Accent- and case-insensitive comparison of text, as a French reader expects: "été"
//! sorts among the e's and matches a search for "ete".

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The text without accents, in lowercase, with runs of white space made single spaces.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.nfd().filter(|c| !is_combining_mark(*c)) {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// A sort key: folded text first, then the text itself so that the order is total.
pub(crate) fn collation_key(text: &str) -> (String, String) {
    (fold(text), text.to_string())
}

/// The edit distance between two strings, in characters, capped at `cap + 1`.
pub(crate) fn distance(a: &str, b: &str, cap: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > cap {
        return cap + 1;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut row = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev
                .get(j)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(usize::from(ca != cb));
            let delete = prev
                .get(j + 1)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            let insert = row.get(j).copied().unwrap_or(usize::MAX).saturating_add(1);
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = substitute.min(delete).min(insert);
            }
        }
        prev = row;
    }
    prev.last().copied().unwrap_or(0).min(cap + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_accents_case_and_spacing() {
        assert_eq!(fold("  Été   à la Plage "), "ete a la plage");
        assert_eq!(fold("CONVIVIALITÉ"), "convivialite");
        assert_eq!(fold("Œuvre"), "œuvre");
    }

    #[test]
    fn french_order_puts_ete_among_the_e() {
        let mut words = vec!["zèbre", "été", "eau", "fête", "Ecole"];
        words.sort_by_key(|w| collation_key(w));
        assert_eq!(words, ["eau", "Ecole", "été", "fête", "zèbre"]);
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("dupont", "dupond", 3), 1);
        assert_eq!(distance("martin", "martine", 3), 1);
        assert_eq!(distance("abc", "xyz", 1), 2);
    }
}
